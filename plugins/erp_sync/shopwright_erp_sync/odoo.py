"""The Odoo connector: Odoo's external API over JSON-RPC (``POST <url>/jsonrpc``).

Calls are ``{"jsonrpc": "2.0", "method": "call", "params": {"service",
"method", "args"}}``: ``common.authenticate(db, login, password, {})`` gives
the user id once, then ``object.execute_kw(db, uid, password, model, method,
args, kwargs)`` does the work. An answer with ``"error"`` is an Odoo fault
(:class:`ErpFault`); a network error, a timeout or an HTTP 5xx is
:class:`ErpUnavailable`.

Pull (:meth:`OdooConnector.pull`): the templates touched after the cursor
are those whose own ``write_date``, one of whose variants'
(``product.product``) or whose internal stock's (``stock.quant``) is later
than the cursor; they are read in chunks of :data:`CHUNK` templates (the
template, its variants, the quants of its variants). A chunk Odoo refuses is
read again template by template, so one broken product becomes one fault and
the rest import. The new cursor is the greatest ``write_date`` seen (Odoo's
``YYYY-MM-DD HH:MM:SS`` in UTC; it sorts as text) with the records written
in that second (see :meth:`OdooConnector._changed_templates`).

Archived records (``active`` false) are read too (context ``active_test``
false): an archived template comes back with ``active`` False, so the store
can take it off sale; a variant archived alone is left out.

Mapping: template → product (slug ``odoo-<template id>``; title ``name``;
description ``description_sale``); variant → variant (``default_code`` is the
SKU; a variant without one makes its product a fault; price ``lst_price`` in the store's
currency, converted exactly; ``on_hand`` the sum of the variant's quants in
internal locations). Options come from the variant's attribute values
(``product_template_attribute_value_ids``, read in
``product.template.attribute.value``: attribute name → value name).

Push (:meth:`OdooConnector.push_order`): the sale order carries the order
number in ``client_order_ref``; a search for it comes first, so a second push
finds the first sale order. The customer is the ``res.partner`` with the
order's e-mail (created when there is none); lines are created with the
order (one2many ``(0, 0, values)`` commands on ``order_line``, i.e.
``sale.order.line`` rows in the same Odoo transaction), one per order line
with its product (``product.product`` by ``default_code``), quantity and unit
price (after discounts), plus a shipping line when shipping was charged: on
the service product whose internal reference is ``SHIPPING`` (create it in
Odoo), or, without one, a note line (``display_type`` ``line_note``) stating
the amount, as Odoo refuses an accountable line without a product.
"""
from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import httpx

from engine.money import currency_exponent

from shopwright_erp_sync.connector import (
    ErpFault,
    ErpFaultRecord,
    ErpProduct,
    ErpUnavailable,
    ErpVariant,
    PullResult,
    to_major,
    to_minor,
)

CHUNK = 200
TIMEOUT_SECONDS = 30.0
TEMPLATE_FIELDS = ["id", "name", "description_sale", "active", "write_date"]
PRODUCT_FIELDS = ["id", "default_code", "product_tmpl_id", "lst_price", "product_template_attribute_value_ids",
                  "active", "write_date"]
#: Odoo leaves archived records out of every search unless told otherwise;
#: the pull reads them too, so that archiving reaches the store
WITH_ARCHIVED = {"context": {"active_test": False}}
QUANT_FIELDS = ["product_id", "quantity", "write_date"]
#: the internal reference of the service product that carries shipping on a sale order
SHIPPING_CODE = "SHIPPING"


class OdooConnector:
    """See the module docstring. ``currency`` is the store's: Odoo prices are
    read as amounts of it (the Odoo company's currency must be the same)."""

    name = "odoo"

    def __init__(self, url: str, db: str, username: str, password: str, currency: str,
                 client: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/") + "/jsonrpc"
        self.db, self.username, self.password, self.currency = db, username, password, currency
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
        self._uid: int | None = None
        self._ids = itertools.count(1)

    async def aclose(self) -> None:
        await self._client.aclose()

    # ------------------------------------------------------------ JSON-RPC
    async def _call(self, service: str, method: str, *args: Any) -> Any:
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                "params": {"service": service, "method": method, "args": list(args)}}
        try:
            response = await self._client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            raise ErpUnavailable(f"Odoo at {self.url} unreachable: {exc!r}") from exc
        if response.status_code >= 500 or response.status_code in (429, 408):
            raise ErpUnavailable(f"Odoo answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise ErpFault(f"Odoo answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise ErpUnavailable("Odoo answered something that is not JSON") from None
        if answer.get("error"):
            error = answer["error"]
            data = error.get("data") or {}
            raise ErpFault(str(data.get("message") or error.get("message") or error))
        return answer.get("result")

    async def _uid_of(self) -> int:
        if self._uid is None:
            uid = await self._call("common", "authenticate", self.db, self.username, self.password, {})
            if not uid:
                raise ErpFault(f"Odoo refused the login of {self.username!r} on database {self.db!r}")
            self._uid = int(uid)
        return self._uid

    async def execute_kw(self, model: str, method: str, args: list, kwargs: dict | None = None) -> Any:
        uid = await self._uid_of()
        return await self._call("object", "execute_kw", self.db, uid, self.password, model, method, args,
                                kwargs or {})

    async def search_read(self, model: str, domain: list, fields: list[str], **kwargs: Any) -> list[dict]:
        return await self.execute_kw(model, "search_read", [domain], {"fields": fields, **kwargs})

    # ------------------------------------------------------------ status
    async def status(self) -> dict[str, Any]:
        try:
            version = await self._call("common", "version")
            await self._uid_of()
        except ErpUnavailable as exc:
            return {"ok": False, "detail": str(exc)}
        except ErpFault as exc:
            return {"ok": False, "detail": f"refused: {exc}"}
        return {"ok": True, "detail": f"Odoo {(version or {}).get('server_version', '?')} at {self.url}"}

    # ------------------------------------------------------------ pull
    async def _changed_templates(self, cursor: str | None) -> tuple[list[int], str | None]:
        """The templates touched since ``cursor`` and the cursor covering them.

        Odoo's ``write_date`` has whole seconds, so a record written in the same
        second as the newest one read, but after the read, would be missed by
        ``write_date > newest``. The cursor is therefore ``{"at": newest,
        "seen": ["<model>:<id>", ...]}`` (JSON): the records of the three
        models written at ``at``; the next pull asks for ``write_date >= at``
        and leaves out those already seen."""
        at, already = _read_cursor(cursor)
        since = [("write_date", ">=", at)] if at else []
        newest = at
        templates: set[int] = set()

        def fresh(model: str, rows: list[dict]) -> list[dict]:
            nonlocal newest
            kept = [row for row in rows if f"{model}:{row['id']}" not in already]
            for row in kept:
                if row.get("write_date") and (newest is None or row["write_date"] > newest):
                    newest = row["write_date"]
            return kept

        internal = [("location_id.usage", "=", "internal")]
        rows = fresh("product.template", await self.search_read("product.template", since, ["id", "write_date"],
                                                                **WITH_ARCHIVED))
        templates.update(row["id"] for row in rows)
        if not at:  # everything: only the newest write dates are needed for the cursor
            for model, domain in (("product.product", []), ("stock.quant", internal)):
                fresh(model, await self.search_read(model, domain, ["write_date"], order="write_date desc", limit=1,
                                                    **WITH_ARCHIVED))
        else:
            rows = fresh("product.product", await self.search_read("product.product", since,
                                                                   ["product_tmpl_id", "write_date"], **WITH_ARCHIVED))
            templates.update(_many2one(row["product_tmpl_id"]) for row in rows)
            quants = fresh("stock.quant", await self.search_read("stock.quant", since + internal,
                                                                 ["product_id", "write_date"]))
            product_ids = sorted({_many2one(row["product_id"]) for row in quants})
            if product_ids:
                rows = await self.search_read("product.product", [("id", "in", product_ids)], ["product_tmpl_id"],
                                              **WITH_ARCHIVED)
                templates.update(_many2one(row["product_tmpl_id"]) for row in rows)
        if not templates:
            return [], None
        seen = set(already) if newest == at else set()
        for model, domain in (("product.template", []), ("product.product", []), ("stock.quant", internal)):
            rows = await self.search_read(model, [("write_date", "=", newest)] + domain, ["id"], **WITH_ARCHIVED)
            seen.update(f"{model}:{row['id']}" for row in rows)
        return sorted(templates), json.dumps({"at": newest, "seen": sorted(seen)})

    async def _read_chunk(self, template_ids: list[int]) -> list[ErpProduct | ErpFaultRecord]:
        templates = await self.search_read("product.template", [("id", "in", template_ids)], TEMPLATE_FIELDS,
                                           **WITH_ARCHIVED)
        variants = await self.search_read("product.product", [("product_tmpl_id", "in", template_ids)],
                                          PRODUCT_FIELDS, **WITH_ARCHIVED)
        quants = await self.search_read(
            "stock.quant", [("product_id", "in", [row["id"] for row in variants]),
                            ("location_id.usage", "=", "internal")], QUANT_FIELDS) if variants else []
        value_ids = sorted({value for row in variants for value in row.get("product_template_attribute_value_ids") or ()})
        values = {row["id"]: row for row in await self.search_read(
            "product.template.attribute.value", [("id", "in", value_ids)], ["attribute_id", "name"])} if value_ids else {}
        on_hand: dict[int, Any] = {}
        for quant in quants:
            key = _many2one(quant["product_id"])
            on_hand[key] = on_hand.get(key, 0) + quant["quantity"]
        by_template: dict[int, list[dict]] = {}
        for row in variants:
            by_template.setdefault(_many2one(row["product_tmpl_id"]), []).append(row)
        results: list[ErpProduct | ErpFaultRecord] = []
        for template in templates:
            try:
                results.append(self._product(template, by_template.get(template["id"], []), on_hand, values))
            except (ValueError, KeyError, TypeError) as exc:
                results.append(ErpFaultRecord(f"product.template:{template['id']}", f"unreadable: {exc}"))
        return results

    def _product(self, template: dict, rows: list[dict], on_hand: dict[int, Any],
                 values: dict[int, dict]) -> ErpProduct:
        active = template.get("active", True) is not False
        variants = []
        for row in sorted(rows, key=lambda item: item["id"]):
            if active and row.get("active", True) is False:
                continue  # a variant archived alone is not offered by the ERP any more: left out
            sku = row.get("default_code")
            if not sku:
                raise ValueError(f"variant product.product:{row['id']} has no internal reference (SKU)")
            quantity = on_hand.get(row["id"], 0)
            variants.append(ErpVariant(
                ref=f"product.product:{row['id']}", sku=str(sku), price=to_minor(row["lst_price"], self.currency),
                options=_options(row.get("product_template_attribute_value_ids"), values),
                on_hand=max(int(quantity), 0),
            ))
        return ErpProduct(ref=f"product.template:{template['id']}", slug=f"odoo-{template['id']}",
                          title=str(template["name"]), description=str(template.get("description_sale") or ""),
                          variants=tuple(variants), active=active)

    async def pull(self, cursor: str | None) -> PullResult:
        template_ids, newest = await self._changed_templates(cursor)
        result = PullResult(cursor=newest)
        await self._read_into(result, template_ids)
        return result

    async def _read_into(self, result: PullResult, template_ids: list[int]) -> None:
        for start in range(0, len(template_ids), CHUNK):
            chunk = template_ids[start:start + CHUNK]
            try:
                items = await self._read_chunk(chunk)
            except ErpFault:
                items = []
                for template_id in chunk:  # isolate the product(s) Odoo refuses
                    try:
                        items.extend(await self._read_chunk([template_id]))
                    except ErpFault as exc:
                        items.append(ErpFaultRecord(f"product.template:{template_id}", str(exc)))
            for item in items:
                (result.faults if isinstance(item, ErpFaultRecord) else result.products).append(item)

    async def pull_refs(self, refs: list[str]) -> PullResult:
        template_ids = sorted({int(ref.rpartition(":")[2]) for ref in refs if ref.startswith("product.template:")})
        result = PullResult()
        await self._read_into(result, template_ids)
        return result

    # ------------------------------------------------------------ push
    async def _partner(self, order: Any) -> int:
        email = order.email
        found = await self.search_read("res.partner", [("email", "=", email)], ["id"], limit=1)
        if found:
            return found[0]["id"]
        address = order.billing_address or order.shipping_address or {}
        name = " ".join(part for part in (address.get("first_name"), address.get("last_name")) if part) or email
        values = {"name": name, "email": email, "street": address.get("line1") or False,
                  "street2": address.get("line2") or False, "city": address.get("city") or False,
                  "zip": address.get("postal_code") or False, "phone": address.get("phone") or False,
                  "ref": f"shopwright:{order.customer}" if order.customer else False}
        return int(await self.execute_kw("res.partner", "create", [values]))

    async def cancel_order(self, erp_id: str, number: str, reason: str) -> None:
        """``sale.order.action_cancel`` (Odoo leaves a cancelled order cancelled)."""
        await self.execute_kw("sale.order", "action_cancel", [[int(erp_id)]])

    async def note_refund(self, erp_id: str, number: str, amount: int, currency: str, key: str) -> None:
        """A note in the sale order's chatter (``message_post``): the credit note
        itself is the accountant's, in Odoo. The note names ``key``, and is not
        posted when a message of the order already names it."""
        marker = f"[shopwright refund {key}]"
        found = await self.search_read("mail.message", [("model", "=", "sale.order"), ("res_id", "=", int(erp_id)),
                                                        ("body", "ilike", marker)], ["id"], limit=1)
        if found:
            return
        await self.execute_kw("sale.order", "message_post", [[int(erp_id)]], {
            "body": f"{marker} {Decimal(amount).scaleb(-currency_exponent(currency))} {currency} refunded "
                    f"in Shopwright for order {number}."})

    async def push_stock(self, sku: str, on_hand: int) -> None:
        """Count ``sku`` at ``on_hand`` in Odoo: its internal ``stock.quant`` gets
        ``inventory_quantity`` (created when there is none), then
        ``action_apply_inventory`` applies it. Setting the same count twice
        changes nothing the second time."""
        await _push_stock(self, sku, on_hand)

    async def push_order(self, order: Any) -> str:
        existing = await self.search_read("sale.order", [("client_order_ref", "=", order.number)], ["id"], limit=1)
        if existing:
            return str(existing[0]["id"])
        partner = await self._partner(order)
        skus = sorted({line.sku for line in order.lines} | {SHIPPING_CODE})
        products = await self.search_read("product.product", [("default_code", "in", skus)], ["id", "default_code"])
        product_ids = {row["default_code"]: row["id"] for row in products}
        missing = [sku for sku in skus if sku not in product_ids and sku != SHIPPING_CODE]
        if missing:
            raise ErpFault(f"no Odoo product with internal reference {', '.join(missing)}")
        lines = []
        for line in order.lines:
            lines.append((0, 0, {"product_id": product_ids[line.sku], "name": line.title,
                                 "product_uom_qty": line.quantity,
                                 "price_unit": unit_price(line.total.amount, line.quantity, order.currency)}))
        if order.shipping_total.amount:
            label = f"Shipping ({order.shipping_method})"
            if SHIPPING_CODE in product_ids:
                lines.append((0, 0, {"product_id": product_ids[SHIPPING_CODE], "name": label, "product_uom_qty": 1,
                                     "price_unit": to_major(order.shipping_total.amount, order.currency)}))
            else:  # Odoo refuses an accountable line without a product: a note keeps the amount in sight
                amount = Decimal(order.shipping_total.amount).scaleb(-currency_exponent(order.currency))
                lines.append((0, 0, {"display_type": "line_note", "name": f"{label}: {amount} {order.currency}"}))
        created = await self.execute_kw("sale.order", "create", [{
            "partner_id": partner, "client_order_ref": order.number, "origin": f"Shopwright {order.number}",
            "order_line": lines,
        }])
        return str(created)


async def _push_stock(connector: OdooConnector, sku: str, on_hand: int) -> None:
    products = await connector.search_read("product.product", [("default_code", "=", sku)], ["id"], limit=1)
    if not products:
        raise ErpFault(f"no Odoo product with internal reference {sku}")
    product_id = products[0]["id"]
    quants = await connector.search_read("stock.quant", [("product_id", "=", product_id),
                                                         ("location_id.usage", "=", "internal")], ["id"], limit=1)
    if quants:
        quant_id = quants[0]["id"]
        await connector.execute_kw("stock.quant", "write", [[quant_id], {"inventory_quantity": on_hand}])
    else:
        quant_id = await connector.execute_kw("stock.quant", "create", [{"product_id": product_id,
                                                                         "inventory_quantity": on_hand}])
    await connector.execute_kw("stock.quant", "action_apply_inventory", [[quant_id]])


def unit_price(total: int, quantity: int, currency: str) -> float:
    """The unit price Odoo gets for a line: the line's total after discounts
    divided by its quantity, computed in Decimal and sent as the nearest float
    (Odoo's ``price_unit`` is a float field; quantity × price_unit gives back
    the total to the cent)."""
    return float(Decimal(total).scaleb(-currency_exponent(currency)) / Decimal(max(quantity, 1)))


def _read_cursor(cursor: str | None) -> tuple[str | None, set[str]]:
    """``(at, seen)`` of a cursor (a bare write date counts as seeing nothing)."""
    if not cursor:
        return None, set()
    if cursor.startswith("{"):
        value = json.loads(cursor)
        return value["at"], set(value.get("seen") or ())
    return cursor, set()


def _many2one(value: Any) -> int:
    """Odoo reads a many2one as ``[id, "display name"]`` (or False)."""
    if isinstance(value, (list, tuple)):
        return int(value[0])
    return int(value)


def _options(ids: Any, values: dict[int, dict]) -> dict[str, str]:
    """A variant's options, ``{"size": "M"}``: its attribute values
    (``product_template_attribute_value_ids``, a many2many read as ids) looked
    up in ``product.template.attribute.value`` (``attribute_id`` a many2one
    ``[id, "Size"]``, ``name`` the value); the attribute's name lower-cased."""
    options: dict[str, str] = {}
    for value_id in ids or ():
        value = values.get(value_id)
        if value is None:
            raise ValueError(f"attribute value {value_id} not found")
        attribute = value["attribute_id"]
        name = attribute[1] if isinstance(attribute, (list, tuple)) else str(attribute)
        options[str(name).strip().lower()] = str(value["name"]).strip()
    return options
