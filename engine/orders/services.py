"""Reading orders: lookup, access tokens, JSON shapes, admin listing.

The shopper's access token is ``HMAC-SHA256(secret_key, "order:<number>:<salt>")``
(URL-safe base64); it is never stored, and checking it is a constant-time
comparison. Anyone holding it may read the order, so it is only given in the
checkout response and the confirmation e-mail's link.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from engine.db.sql import fetch, fetchone, placeholders
from engine.errors import InvalidInput, NotFound

ORDER_STATUSES = ("pending_payment", "paid", "partially_fulfilled", "fulfilled", "completed", "cancelled",
                  "partially_refunded", "refunded")


def access_token(secret_key: str, number: str, salt: str) -> str:
    digest = hmac.new(secret_key.encode(), f"order:{number}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_matches(secret_key: str, row: dict[str, Any], token: str | None) -> bool:
    expected = access_token(secret_key, row["number"], row["token_salt"])
    return hmac.compare_digest(expected.encode(), (token or "").encode())


async def order_row(number: str) -> dict[str, Any]:
    if not isinstance(number, str) or not number or len(number) > 32:
        raise NotFound("There is no such order.")
    row = await fetchone("SELECT * FROM orders WHERE number = {}", number)
    if row is None:
        raise NotFound("There is no such order.")
    return row


async def lock_order(order_id: int) -> dict[str, Any] | None:
    """Inside a transaction: the order row, held against other writers until
    the commit (a no-op ``UPDATE``: the same lock on SQLite and PostgreSQL,
    where ``SELECT … FOR UPDATE`` would not work on SQLite). Serialises the
    payment reports of one order: a webhook and the shopper's return."""
    return await fetchone("UPDATE orders SET updated_at = updated_at WHERE id = {} RETURNING *", order_id)


async def order_for_shopper(runtime, number: str, token: str | None, customer: int | None = None) -> dict[str, Any]:
    """The order when ``token`` is its access token or ``customer`` placed it;
    otherwise :class:`NotFound` (the same answer as for a missing order)."""
    return await order_json(runtime, await shopper_row(runtime, number, token, customer), with_token=True)


async def shopper_row(runtime, number: str, token: str | None, customer: int | None = None) -> dict[str, Any]:
    """The order's row for its shopper (as :func:`order_for_shopper` decides)."""
    try:
        row = await order_row(number)
    except NotFound:
        access_token(runtime.settings.secret_key, str(number), "x")  # same work either way
        raise
    allowed = token_matches(runtime.settings.secret_key, row, token)
    if not allowed and customer is not None and row["customer"] == customer:
        allowed = True
    if not allowed:
        raise NotFound("There is no such order.")
    return row


async def order_and_child(number: str, table: str, child_id: Any, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(order row, row of table)`` for a row (a shipment, a return) that
    belongs to order ``number``; NotFound ("no such <what> on this order")
    otherwise, also for an id that is not a number. ``table`` is one of the
    orders domain's own tables, never user input."""
    order = await order_row(number)
    try:
        wanted = int(child_id)
    except (TypeError, ValueError):
        raise NotFound(f"There is no such {what} on this order.") from None
    row = await fetchone(f"SELECT * FROM {table} WHERE id = {{}} AND order_id = {{}}", wanted, order["id"])
    if row is None:
        raise NotFound(f"There is no such {what} on this order.")
    return order, row


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": int(amount), "currency": currency}


#: ``order_json(payment=...)`` default: read the latest payment.
UNREAD = object()


async def order_lines(order_id: int) -> list[dict[str, Any]]:
    return await fetch("SELECT * FROM order_lines WHERE order_id = {} ORDER BY position, id", order_id)


async def latest_payment(order_id: int) -> dict[str, Any] | None:
    return await fetchone("SELECT * FROM payments WHERE order_id = {} ORDER BY id DESC", order_id)


def payment_json(payment: dict[str, Any] | None, row: dict[str, Any]) -> dict[str, Any]:
    """What the client must do next, and where the payment stands.

    ``kind``: ``none`` | ``redirect`` (``url``) | ``client_secret``
    (``client_secret``); the gateway's data is under ``data`` and also merged
    at the top level (``instructions``, ``url``, ``client_secret``, ...)."""
    if payment is None:
        return {"method": row["payment_method"], "status": "none", "kind": "none", "data": {}}
    action = json.loads(payment["action"] or "{}")
    data = dict(action.get("data") or {})
    body = {
        "method": payment["gateway"],
        "plugin": payment["plugin"],
        "status": payment["status"],
        "kind": action.get("kind") or "none",
        "reference": payment["reference"],
        "amount": _money(payment["amount"], payment["currency"]),
        "data": data,
    }
    if payment["error"]:
        body["error"] = payment["error"]
    if payment.get("flag"):
        body["flag"] = payment["flag"]
    for key, value in data.items():
        body.setdefault(key, value)
    return body


def line_json(line: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "sku": line["sku"],
        "title": line["title"],
        "options": json.loads(line["options"] or "{}"),
        "quantity": line["quantity"],
        "unit_price": _money(line["unit_price"], currency),
        "subtotal": _money(line["subtotal"], currency),
        "discount": _money(line["discount"], currency),
        "total": _money(line["total"], currency),
        "fulfilled_quantity": line["fulfilled_quantity"],
    }


def totals_json(row: dict[str, Any]) -> dict[str, Any]:
    """Same shape as a cart's totals: minor units; ``total = subtotal -
    discounts + shipping (+ tax unless included)``."""
    return {
        "subtotal": row["subtotal"],
        "discounts": -row["discount_total"],
        "shipping": row["shipping_total"],
        "tax": row["tax_total"],
        "total": row["total"],
        "currency": row["currency"],
        "tax_included": bool(row["prices_include_tax"]),
        "paid": row["paid_amount"],
        "refunded": row["refunded_amount"],
    }


def shipment_json(row: dict[str, Any]) -> dict[str, Any]:
    """A shipment (an ``order_fulfillments`` row) as the APIs and pages show it."""
    return {"id": row["id"], "lines": json.loads(row["lines"] or "[]"), "status": row["status"],
            "carrier": row["carrier"] or None, "service": row["service"] or None,
            "tracking_number": row["tracking_number"] or None, "tracking_url": row["tracking_url"] or None,
            "warehouse_id": row["warehouse_id"], "shipped_at": _iso(row["created_at"]),
            "updated_at": _iso(row["updated_at"])}


async def shipments(order_id: int) -> list[dict[str, Any]]:
    """The order's shipments, oldest first (:func:`shipment_json`)."""
    rows = await fetch("SELECT * FROM order_fulfillments WHERE order_id = {} ORDER BY id", order_id)
    return [shipment_json(row) for row in rows]


async def refunds(order_id: int, currency: str) -> list[dict[str, Any]]:
    """Every refund recorded on the order's timeline, oldest first:
    ``[{amount: {amount, currency}, at}]`` (a cancellation that refunded
    nothing is left out)."""
    rows = await fetch("SELECT data, created_at FROM order_events WHERE order_id = {} AND kind = 'refund' "
                       "ORDER BY id", order_id)
    amounts = [(int(json.loads(r["data"] or "{}").get("amount") or 0), r["created_at"]) for r in rows]
    return [{"amount": _money(amount, currency), "at": _iso(at)} for amount, at in amounts if amount]


async def order_json(runtime, row: dict[str, Any], with_token: bool = False, staff: bool = False,
                     lines: list[dict[str, Any]] | None = None, payment: Any = UNREAD) -> dict[str, Any]:
    """The order as the API shows it (``staff``: with timeline, payments,
    fulfillments and reservations). ``lines`` (in position order) and
    ``payment`` (the latest, or None) are read unless the caller has them."""
    currency = row["currency"]
    if lines is None:
        lines = await order_lines(row["id"])
    if payment is UNREAD:
        payment = await latest_payment(row["id"])
    body: dict[str, Any] = {
        "number": row["number"],
        "status": row["status"],
        "email": row["email"],
        "customer": row["customer"],
        "currency": currency,
        "lines": [line_json(line, currency) for line in lines],
        "adjustments": json.loads(row["adjustments"] or "[]"),
        "tax_lines": json.loads(row["tax_lines"] or "[]"),
        "totals": totals_json(row),
        "shipping_address": json.loads(row["shipping_address"] or "{}"),
        "billing_address": json.loads(row["billing_address"] or "{}"),
        "shipping_method": {"id": row["shipping_method"], "label": row["shipping_label"],
                            "price": _money(row["shipping_total"], currency),
                            "estimated_days": _estimate(row)},
        "payment_method": row["payment_method"],
        "payment": payment_json(payment, row),
        "placed_at": _iso(row["placed_at"]),
        "updated_at": _iso(row["updated_at"]),
        "shipments": await shipments(row["id"]),
        "refunds": await refunds(row["id"], currency),
    }
    if with_token:
        body["access_token"] = access_token(runtime.settings.secret_key, row["number"], row["token_salt"])
    if staff:
        body["events"] = await timeline(row["id"])
        body["holds"] = [hold_json(h) for h in await fetch("SELECT * FROM order_holds WHERE order_id = {} ORDER BY id",
                                                            row["id"])]
        body["payments"] = [{**payment_json(p, row), "id": p["id"], "captured_amount": p["captured_amount"],
                             "refunded_amount": p["refunded_amount"], "created_at": _iso(p["created_at"])}
                            for p in await fetch("SELECT * FROM payments WHERE order_id = {} ORDER BY id", row["id"])]
        body["fulfillments"] = [{**shipment, "created_at": shipment["shipped_at"]} for shipment in body["shipments"]]
        body["reservations"] = [
            {"sku": r["sku"], "quantity": r["quantity"], "state": r["state"], "expires_at": _iso(r["expires_at"])}
            for r in await fetch("SELECT * FROM stock_reservations WHERE order_id = {} ORDER BY id", row["id"])]
    return body


def hold_json(row: dict[str, Any]) -> dict[str, Any]:
    """An ``order_holds`` row as the admin API and page show it (see
    :mod:`engine.orders.holds`)."""
    return {"id": row["id"], "code": row["code"], "plugin": row["plugin"], "score": int(row["score"]),
            "reasons": json.loads(row["reasons"] or "[]"), "status": row["status"], "fraud": bool(row["fraud"]),
            "resolved_by": row["resolved_by"] or None, "created_at": _iso(row["created_at"]),
            "resolved_at": _iso(row["resolved_at"])}


def _estimate(row: dict[str, Any]) -> list[int] | None:
    """The order's delivery estimate ``[min, max]`` business days, or None."""
    low, high = row.get("shipping_days_min"), row.get("shipping_days_max")
    return None if low is None or high is None else [low, high]


async def timeline(order_id: int) -> list[dict[str, Any]]:
    rows = await fetch("SELECT * FROM order_events WHERE order_id = {} ORDER BY id", order_id)
    return [{"kind": r["kind"], "from_status": r["from_status"], "to_status": r["to_status"], "actor": r["actor"],
             "note": r["note"], "data": json.loads(r["data"] or "{}"), "at": _iso(r["created_at"])} for r in rows]


# ---------------------------------------------------------------- admin listing
def _encode_cursor(order_id: int) -> str:
    return base64.urlsafe_b64encode(f"o:{order_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "o":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The cursor is not valid.", {"cursor": "not a cursor from this API"}) from None


async def list_orders(status: str | None = None, email: str | None = None, cursor: str | None = None,
                      limit: int = 50) -> dict[str, Any]:
    """Newest first: ``{"items": [summary...], "next_cursor": str | None}``."""
    if status is not None and status not in ORDER_STATUSES:
        raise InvalidInput(f"Unknown status {status!r}.", {"status": f"one of {', '.join(ORDER_STATUSES)}"})
    limit = max(1, min(int(limit), 200))
    where, args = ["number IS NOT NULL"], []
    if status:
        where.append("status = {}")
        args.append(status)
    if email:
        where.append("email = {}")
        args.append(email.strip().lower())
    if cursor:
        where.append("id < {}")
        args.append(_decode_cursor(cursor))
    rows = await fetch(f"SELECT id, number, status, email, currency, total, placed_at FROM orders "
                       f"WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT {{}}", *args, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    counts = {}
    if rows:
        ids = [r["id"] for r in rows]
        counts = {r["order_id"]: int(r["n"]) for r in await fetch(
            f"SELECT order_id, SUM(quantity) AS n FROM order_lines WHERE order_id IN ({placeholders(ids)}) "
            f"GROUP BY order_id", *ids)}
    items = [{"number": r["number"], "status": r["status"], "email": r["email"],
              "total": _money(r["total"], r["currency"]), "item_count": counts.get(r["id"], 0),
              "placed_at": _iso(r["placed_at"])} for r in rows]
    return {"items": items, "next_cursor": _encode_cursor(rows[-1]["id"]) if more else None}
