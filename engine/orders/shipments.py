"""Shipments (``order_fulfillments``): where they leave from, their carrier
and tracking, and their status.

A shipment's status moves forward only::

    created ──▶ shipped ──▶ in_transit ──▶ delivered
       │           │            │             │
       └───────────┴────────────┴─────────────┴──▶ returned

(a step may be skipped: ``shipped → delivered`` is fine). Setting the status
it already has is a no-op, so a carrier that repeats an update changes
nothing; a step backwards is refused (409). Each change is a conditional
UPDATE guarded by the old status, written to the order's timeline with an
outbox event ``shipment_status_changed`` (``fulfillment_id``, ``number``,
``shipment_status``, ``previous_shipment_status``) in one transaction; the
move to ``shipped`` also emits ``shipment_shipped``, which sends the shopper
the shipment e-mail (once per shipment: created as ``shipped``, the e-mail
goes with ``shipment_created`` instead).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Sequence
from urllib.parse import urlsplit

from engine import outbox
from engine.catalog.services import get_variants
from engine.catalog.warehouses import warehouses_with_stock
from engine.db.sql import fetch, fetchone
from engine.errors import IllegalTransition, InvalidInput
from engine.orders.services import order_and_child, order_lines, shipment_json
from engine.protocols import ShipmentDocument, ShipmentLine, TrackingUpdate
from engine.orders.transitions import record

SHIPMENT_STATUSES = ("created", "shipped", "in_transit", "delivered", "returned")
_RANK = {status: rank for rank, status in enumerate(SHIPMENT_STATUSES)}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _web_address(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


def clean_tracking(carrier: Any, service: Any, tracking_number: Any, tracking_url: Any) -> dict[str, str]:
    """The shipment's carrier fields checked (text of bounded length; the URL
    http(s)); InvalidInput naming each bad field."""
    limits = {"carrier": (carrier, 200), "service": (service, 100), "tracking_number": (tracking_number, 200),
              "tracking_url": (tracking_url, 500)}
    values, errors = {}, {}
    for name, (value, limit) in limits.items():
        value = "" if value is None else value
        if not isinstance(value, str) or len(value.strip()) > limit or any(ord(c) < 32 or ord(c) == 127 for c in value):
            errors[name] = f"must be text of at most {limit} characters"
            continue
        values[name] = value.strip()
    url = values.get("tracking_url")
    if url and not _web_address(url):
        errors["tracking_url"] = "must be an http(s) address"
    if errors:
        raise InvalidInput("Some shipment details are invalid: "
                           + "; ".join(f"{name.replace('_', ' ')} {message}" for name, message in errors.items())
                           + ".", errors)
    return values


async def choose_warehouse(runtime, skus: Sequence[str], code: str | None) -> dict[str, Any]:
    """The warehouse a shipment of ``skus`` leaves from: ``code`` when staff
    named one, else by the ``fulfillment.allocation`` rule (``priority``: the
    default warehouse first; ``most_stock``: the one holding most units of
    ``skus``, ties by priority)."""
    warehouses = await warehouses_with_stock(list(skus))
    if code:
        chosen = next((w for w in warehouses if w["code"] == code), None)
        if chosen is None:
            raise InvalidInput(f"There is no warehouse {code!r}.", {"warehouse": "no such warehouse"})
        return chosen
    if not warehouses:  # the catalog's migration makes one; a shop that deleted them all ships from "the shop"
        return {"id": None, "code": "", "name": "the shop", "on_hand": 0}
    if runtime.settings.fulfillment.allocation == "most_stock":
        return max(warehouses, key=lambda w: w["on_hand"])  # max keeps the first of equals: priority order
    return warehouses[0]


async def shipment_of(number: str, fulfillment_id: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(order row, shipment row)``; NotFound unless the shipment belongs to order ``number``."""
    return await order_and_child(number, "order_fulfillments", fulfillment_id, "shipment")


async def set_status(runtime, number: str, fulfillment_id: Any, status: str, actor: str,
                     note: str = "") -> dict[str, Any]:
    """Move shipment ``fulfillment_id`` of order ``number`` forward to
    ``status`` (module docstring); the shipment as :func:`shipment_json`."""
    if status not in SHIPMENT_STATUSES:
        raise InvalidInput(f"Unknown shipment status {status!r}.",
                           {"status": f"one of {', '.join(SHIPMENT_STATUSES)}"})
    async with runtime.database.transaction():
        order, row = await shipment_of(number, fulfillment_id)
        previous = row["status"]
        if previous == status:
            return shipment_json(row)
        if _RANK[status] < _RANK[previous]:
            raise IllegalTransition(f"Shipment {row['id']} is {previous}; it cannot go back to {status}.",
                                    {"status": f"{previous} → {status} is not allowed"})
        updated = await fetchone("UPDATE order_fulfillments SET status = {}, updated_at = {} WHERE id = {} "
                                 "AND status = {} RETURNING *", status, _now(), row["id"], previous)
        if updated is None:
            raise IllegalTransition("The shipment changed at the same moment; try again.", {"status": "changed"})
        payload = {"fulfillment_id": row["id"], "number": number, "order_id": order["id"], "status": order["status"],
                   "shipment_status": status, "previous_shipment_status": previous,
                   "lines": json.loads(row["lines"] or "[]"), "carrier": row["carrier"] or None,
                   "tracking_number": row["tracking_number"] or None, "tracking_url": row["tracking_url"] or None}
        await record(order["id"], "fulfillment", actor, note or f"Shipment {row['id']}: {previous} → {status}.",
                     data={"fulfillment_id": row["id"], "status": status})
        await outbox.emit("shipment_status_changed", payload)
        if status == "shipped":
            await outbox.emit("shipment_shipped", payload)
    runtime.events_committed()
    return shipment_json(updated)


async def document(runtime, number: str, fulfillment_id: Any) -> ShipmentDocument:
    """Shipment ``fulfillment_id`` of order ``number`` as its label and packing
    slip need it (NotFound unless it is that order's)."""
    order, row = await shipment_of(number, fulfillment_id)
    shipped = json.loads(row["lines"] or "[]")
    titles = {line["sku"]: line["title"] for line in await order_lines(order["id"])}
    variants = await get_variants([line["sku"] for line in shipped])
    lines = tuple(ShipmentLine(l["sku"], titles.get(l["sku"]) or l["sku"], int(l["quantity"]),
                               int((variants.get(l["sku"]) or {}).get("weight_grams") or 0)) for l in shipped)
    warehouse = next((w for w in await warehouses_with_stock([]) if w["id"] == row["warehouse_id"]), None)
    return ShipmentDocument(
        order_number=number, fulfillment_id=row["id"], ship_to=json.loads(order["shipping_address"] or "{}"),
        ship_from={"name": runtime.settings.store.name, "line1": warehouse["name"] if warehouse else ""},
        lines=lines, weight_grams=sum(line.weight_grams * line.quantity for line in lines),
        carrier=row["carrier"] or "", service=row["service"] or "", tracking_number=row["tracking_number"] or "",
        placed_at=order["placed_at"], idempotency_key=f"sw-label-{row['id']}")


async def apply_tracking(runtime, plugin: str, updates: Sequence[TrackingUpdate]) -> dict[str, Any]:
    """Apply a carrier's verified updates: each moves the shipment with its
    tracking number (and carrier, when given) forward. A repeated or older
    status and an unknown tracking number change nothing, so a redelivery is
    harmless. ``{"status": "applied", "updates": [{event_id, result}]}`` with
    ``result`` one of ``applied``, ``unchanged``, ``stale``, ``unknown``."""
    results = []
    for update in updates:
        sql = ("SELECT f.id, f.status, o.number FROM order_fulfillments f JOIN orders o ON o.id = f.order_id "
               "WHERE f.tracking_number = {}")
        args: list[Any] = [update.tracking_number]
        if update.carrier:
            sql += " AND LOWER(f.carrier) = {}"
            args.append(update.carrier.lower())
        rows = await fetch(sql + " ORDER BY f.id", *args)
        result = "unknown" if not rows else "unchanged"
        for row in rows:
            if row["status"] == update.status:
                continue
            if _RANK[update.status] < _RANK[row["status"]]:
                result = "stale"
                continue
            try:
                await set_status(runtime, row["number"], row["id"], update.status, f"webhook:{plugin}",
                                 f"{plugin} reports {update.status.replace('_', ' ')} (event {update.event_id[:100]}).")
                result = "applied"
            except IllegalTransition:  # moved on meanwhile by another report
                result = "stale"
        results.append({"event_id": update.event_id, "result": result})
    return {"status": "applied", "updates": results}
