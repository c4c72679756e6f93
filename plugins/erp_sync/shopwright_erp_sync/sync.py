"""The sync itself, over any :class:`~shopwright_erp_sync.connector.Connector`.

- :func:`pull`: products, variants and prices changed in the ERP since the
  stored cursor are upserted (into the product linked to the ERP's ref, or
  the one already holding one of its SKUs, else a new one; the link slug →
  ERP ref is recorded) into the catalog (``sdk.upsert_products``), then
  their stock is set in bulk with origin ``erp_sync`` (``sdk.set_stock``), so
  the ``stock_changed`` events of the import are recognised and never sent
  back. Only the fields the merchant lets the ERP own (setting
  ``owned_fields``) are overwritten in products the store already has; a
  product the ERP archived is taken off sale (``draft``) in the store (when
  it owns ``status``). A product the ERP faulted on, or that the catalog refuses, is
  dead-lettered with the reason and the rest import. The cursor (table
  ``erp_sync_state``, key ``cursor:<connector>``) moves only after
  everything it covers is written, so a pull that fails half-way is redone.
- :func:`push_order`: one paid order → one sale order. The link order number
  → ERP id is looked up first and written after the ERP answered; the
  connector's own search by order number covers a crash between the two, so
  a job that runs twice creates nothing twice.
- :func:`push_stock`: a stock change the store made (any origin but ours).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from engine import sdk

from shopwright_erp_sync import store
from shopwright_erp_sync.connector import Connector, ErpProduct, ErpUnavailable
from shopwright_erp_sync.settings import OWNABLE_FIELDS

NAME = "erp_sync"
#: the origin of the stock the import writes (its ``stock_changed`` events are not pushed back)
ORIGIN = NAME
MAX_RECORDS = 10_000


def connector_for(runtime: Any, settings: Any) -> Connector:
    """The connector the settings choose (``odoo`` or ``csv``). ValueError
    naming what is missing when the settings are not complete."""
    missing = settings.missing()
    if missing:
        raise ValueError(f"erp_sync is not configured: set {', '.join(missing)} "
                         "(shopwright plugins configure erp_sync key=value)")
    currency = sdk.store_currency(runtime)
    if settings.connector == "csv":
        from shopwright_erp_sync.csv_folder import CsvFolderConnector

        return CsvFolderConnector(settings.url, currency)
    from shopwright_erp_sync.odoo import OdooConnector

    return OdooConnector(settings.url, settings.db, settings.username, settings.password, currency)


def _records(product: ErpProduct, known: Mapping[str, Any], owned: frozenset[str]) -> list[dict[str, Any]]:
    """The upsert records of ``product``: the fields the ERP owns, and the
    others only where the store does not have the product (or the variant)
    yet. ``known`` maps the SKUs the store already has to their variants."""
    stored_product = next((known[variant.sku] for variant in product.variants
                           if variant.sku in known and known[variant.sku].product_slug == product.slug), None)
    new_product = stored_product is None
    records = []
    for index, variant in enumerate(product.variants):
        stored = known.get(variant.sku)
        keep_price = stored is not None and "price" not in owned
        record: dict[str, Any] = {"product_slug": product.slug, "sku": variant.sku,
                                  "price_amount": stored.price.amount if keep_price else variant.price}
        if keep_price:
            record["currency"] = stored.price.currency
        if variant.options:
            record["options"] = dict(variant.options)
        if index == 0:
            # the catalog wants a title on a product's first record: the stored one when the shop owns it
            record["title"] = product.title if new_product or "title" in owned else stored_product.product_title
            if new_product or "description" in owned:
                record["description"] = product.description
            if new_product or "status" in owned:
                record["status"] = "published" if product.active else "draft"
        records.append(record)
    return records


def _batches(products: list[ErpProduct]) -> Iterable[list[ErpProduct]]:
    batch: list[ErpProduct] = []
    size = 0
    for product in products:
        if batch and size + len(product.variants) > MAX_RECORDS:
            yield batch
            batch, size = [], 0
        batch.append(product)
        size += len(product.variants)
    if batch:
        yield batch


async def _upsert(runtime: Any, products: list[ErpProduct], known: Mapping[str, Any],
                  owned: frozenset[str]) -> tuple[list[ErpProduct], dict[str, str]]:
    """Upsert ``products``; the refused ones are left out and returned by ref with the reason."""
    refused: dict[str, str] = {}
    remaining = [product for product in products if product.variants]
    for product in products:
        if not product.variants:
            refused[product.ref] = "the ERP gave no sellable variant"
    while remaining:
        records, owner = [], []
        for product in remaining:
            for record in _records(product, known, owned):
                records.append(record)
                owner.append(product)
        report = await sdk.upsert_products(runtime, records)
        if not report.errors:
            return remaining, refused
        bad = {}
        for position, message in report.errors.items():
            bad.setdefault(owner[position].ref, f"{records[position]['sku']}: {message}")
        refused.update(bad)
        remaining = [product for product in remaining if product.ref not in bad]
    return remaining, refused


def owned_fields(runtime: Any) -> frozenset[str]:
    """The fields the merchant lets the ERP own (setting ``owned_fields``)."""
    settings = sdk.plugin_settings(runtime, NAME)
    return frozenset(name for name in OWNABLE_FIELDS if settings is None or settings.owns(name))


async def pull(runtime: Any, connector: Connector, *, full: bool = False) -> dict[str, Any]:
    """Pull what changed since the cursor (``full``: everything) into the
    catalog; returns the run's summary (also stored as ``last_pull``)."""
    key = f"cursor:{connector.name}"
    cursor = None if full else await store.get_state(key)
    result = await connector.pull(cursor)
    summary = await _import(runtime, result)
    if result.cursor:
        await store.set_state(runtime, key, result.cursor)
    summary["cursor"] = result.cursor or cursor
    await store.set_json(runtime, "last_pull", summary)
    return summary


async def pull_refs(runtime: Any, connector: Connector, refs: list[str]) -> dict[str, Any]:
    """Pull the products ``refs`` (dead letters being retried) again, whatever
    the cursor; the cursor is left alone."""
    return await _import(runtime, await connector.pull_refs(refs))


async def _known_variants(runtime: Any, products: list[ErpProduct]) -> dict[str, Any]:
    """``{sku: sdk Variant}`` for the SKUs of ``products`` the store already has."""
    skus = [variant.sku for product in products for variant in product.variants]
    known: dict[str, Any] = {}
    for start in range(0, len(skus), 1000):
        known.update(await sdk.variants(runtime, skus[start:start + 1000], include_unpublished=True))
    return known


async def _adopt(runtime: Any, products: list[ErpProduct], known: Mapping[str, Any]) -> list[ErpProduct]:
    """The products with the store's slug where the store knows them: the
    slug linked to the ERP ref (table ``erp_sync_links``, kind ``product``),
    else the product that already holds one of its SKUs (a shop that had its
    catalog before the ERP was connected); others keep the connector's slug."""
    linked = await store.links_by_erp_id("product", [product.ref for product in products])
    adopted = []
    for product in products:
        slug = linked.get(product.ref) or next(
            (known[variant.sku].product_slug for variant in product.variants if variant.sku in known), product.slug)
        adopted.append(product if slug == product.slug else replace(product, slug=slug))
    return adopted


async def _import(runtime: Any, result: Any) -> dict[str, Any]:
    """Write ``result`` into the catalog: the owned fields (:func:`owned_fields`)
    of the products the store has, everything of the new ones. A product the
    ERP archived and the store never had is skipped (nothing to unpublish)."""
    for fault in result.faults:
        await store.dead_letter(runtime, "product", fault.ref, fault.error)
    owned = owned_fields(runtime)
    known = await _known_variants(runtime, result.products)
    products = [product for product in await _adopt(runtime, result.products, known)
                if product.active or any(variant.sku in known for variant in product.variants)]
    imported: list[ErpProduct] = []
    for batch in _batches(products):
        written, refused = await _upsert(runtime, batch, known, owned)
        for ref, error in refused.items():
            await store.dead_letter(runtime, "product", ref, error)
        imported.extend(written)
    quantities = {variant.sku: variant.on_hand for product in imported for variant in product.variants
                  if variant.on_hand is not None and ("stock" in owned or variant.sku not in known)}
    changed = 0
    items = list(quantities.items())
    for start in range(0, len(items), MAX_RECORDS):
        changes = await sdk.set_stock(runtime, dict(items[start:start + MAX_RECORDS]), origin=ORIGIN)
        changed += len(changes.changed)
    await store.save_links(runtime, "product", {product.slug: product.ref for product in imported})
    await store.resolve(runtime, "product", [product.ref for product in imported])
    return {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "products": len(imported),
            "variants": sum(len(product.variants) for product in imported), "stock_changed": changed,
            "archived": sum(1 for product in imported if not product.active and "status" in owned),
            "dead_lettered": len(products) - len(imported) + len(result.faults)}


class PushInProgress(ErpUnavailable):
    """Another process (the worker, or ``shopwright erp push``) is pushing the
    same order right now: try again later (the job retries it)."""


#: a push claim older than this is taken over (its holder died mid-push; the
#: ERP's own search by order number then finds what it may have created)
PUSH_CLAIM_STALE_AFTER = timedelta(minutes=10)


async def push_order(runtime: Any, connector: Connector, number: str) -> tuple[str, bool]:
    """Push paid order ``number``; returns (ERP id, whether this call created
    the link). One process at a time pushes an order (a claim, so that the
    worker and a manual ``erp push`` never both create a sale order); a second
    one meanwhile raises :class:`PushInProgress`. Raises the connector's
    errors (the job decides on retries)."""
    known = await store.link_of("order", number)
    if known is not None:
        return known, False
    if not await store.claim(runtime, "order", number, PUSH_CLAIM_STALE_AFTER):
        raise PushInProgress(f"order {number} is being pushed by another process; try again in a moment")
    try:
        known = await store.link_of("order", number)   # pushed between the first look and the claim
        if known is not None:
            return known, False
        order = await sdk.order(runtime, number)
        if order is None:
            raise LookupError(f"no order {number}")
        erp_id = await connector.push_order(order)
        await store.save_link(runtime, "order", number, erp_id)
    finally:
        await store.release(runtime, "order", number)
    await store.resolve(runtime, "order", [number])
    pushed = await store.get_json("last_push")
    await store.set_json(runtime, "last_push", {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                                "order": number, "erp_id": erp_id,
                                                "orders": int(pushed.get("orders", 0)) + 1})
    return erp_id, True


class NotPushedYet(RuntimeError):
    """A paid order changed before its push went through: try again later."""


async def follow_order(runtime: Any, connector: Connector, event: Any) -> bool:
    """Send an ``order_cancelled`` or ``order_refunded`` event of a pushed
    order to the ERP, once per event (links ``cancel:<number>`` and
    ``refund:<number>:<event id>``). False when there is nothing to send (the
    order never reached the ERP: it was cancelled unpaid). Raises
    :class:`NotPushedYet` for a paid order whose push has not gone through
    yet, so that the event's job is retried after it."""
    payload = event.payload
    number = payload["number"]
    erp_id = await store.link_of("order", number)
    if erp_id is None:
        if payload.get("previous_status", "pending_payment") == "pending_payment":
            return False
        raise NotPushedYet(f"order {number} is not in the ERP yet")
    if event.name == "order_cancelled":
        kind, key = "cancel", number
    else:
        kind, key = "refund", f"{number}:{event.id}"
    if await store.link_of(kind, key) is not None:
        return False
    if event.name == "order_cancelled":
        await connector.cancel_order(erp_id, number, str(payload.get("reason") or ""))
    else:
        await connector.note_refund(erp_id, number, int(payload["amount"]), str(payload["currency"]), str(event.id))
    await store.save_link(runtime, kind, key, erp_id)
    return True


async def push_stock(runtime: Any, connector: Connector, payload: dict[str, Any]) -> bool:
    """Send a ``stock_changed`` the store made to the ERP; False (nothing sent)
    for the import's own changes (origin ``erp_sync``)."""
    if payload.get("origin") == ORIGIN:
        return False
    await connector.push_stock(payload["sku"], int(payload["on_hand"]))
    return True


async def retry_dead_letter(runtime: Any, connector: Connector, row: dict[str, Any]) -> bool:
    """Try dead letter ``row`` again: an order is pushed (once), a product is
    read again by its ref and imported. True when it went through (the dead
    letter is then resolved); False when it failed again (its ``tries`` and
    error are updated)."""
    from shopwright_erp_sync.connector import ErpError

    try:
        if row["kind"] == "order":
            await push_order(runtime, connector, row["ref"])
            return True
        return (await pull_refs(runtime, connector, [row["ref"]]))["products"] > 0
    except ErpError as exc:
        await store.dead_letter(runtime, row["kind"], row["ref"], str(exc))
        return False
