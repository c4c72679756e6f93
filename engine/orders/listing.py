"""Finding orders for staff: filters, search and keyset pagination.

:func:`find_orders` answers the admin's order list (``/admin/orders``). It
pages by cursor on the order id, newest first (``WHERE id < cursor ORDER BY id
DESC LIMIT n``), never by OFFSET, so every page costs the same with 100,000
orders. Filters, all optional and combined with AND:

- ``status``: one of :data:`~engine.orders.services.ORDER_STATUSES`;
- ``payment``: the state of the order's latest payment (``pending``,
  ``authorized``, ``paid``, ``partially_refunded``, ``refunded``, ``failed``,
  ``cancelled``), or ``none`` for an order without a payment;
- ``fulfillment``: ``unfulfilled`` (nothing shipped), ``partial`` (some
  units shipped, some not), ``fulfilled`` (every unit shipped), read from the
  lines' ``fulfilled_quantity``;
- ``placed_from`` / ``placed_to``: UTC days, both inclusive;
- ``query``: an order number (that order alone when one has it), an e-mail
  address (exact when it holds ``@``, else its beginning) or a name — every
  word of the query found, case-insensitively, in the shipping or billing
  address.

A search by name or by the beginning of an e-mail cannot use an index: it
scans newest first until a page is full, and so does a payment or fulfillment
state few orders have: up to about 0.1 s (SQLite) and 0.15–0.25 s (PostgreSQL)
with 100,000 orders when almost nothing matches (``bench/admin_orders.py``,
docs/performance.md); common filters and an exact e-mail or number stay
around a millisecond a page at any depth.
"""
from __future__ import annotations

import re

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from engine.db.sql import fetch, placeholders
from engine.errors import InvalidInput
from engine.orders.services import ORDER_STATUSES, _decode_cursor, _encode_cursor

PAYMENT_STATES = ("pending", "authorized", "paid", "partially_refunded", "refunded", "failed", "cancelled", "none")
FULFILLMENT_STATES = ("unfulfilled", "partial", "fulfilled")
#: the most orders one page lists
MAX_LIMIT = 200
#: the longest search text read
MAX_QUERY = 200

_LATEST_PAYMENT_STATUS = "(SELECT p.status FROM payments p WHERE p.order_id = orders.id ORDER BY p.id DESC LIMIT 1)"
_ANY_SHIPPED = "EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = orders.id AND l.fulfilled_quantity > 0)"
_ANY_LEFT = "EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = orders.id AND l.fulfilled_quantity < l.quantity)"
_FULFILLMENT_SQL = {
    "unfulfilled": f"NOT {_ANY_SHIPPED}",
    "partial": f"{_ANY_SHIPPED} AND {_ANY_LEFT}",
    "fulfilled": f"NOT {_ANY_LEFT}",
}


@dataclass(frozen=True)
class OrderFilters:
    """What staff filter the order list by; empty values filter nothing."""

    status: str = ""
    payment: str = ""
    fulfillment: str = ""
    placed_from: date | None = None
    placed_to: date | None = None
    query: str = ""

    def errors(self) -> dict[str, str]:
        """Field → message for each filter that names an unknown value."""
        errors = {}
        if self.status and self.status not in ORDER_STATUSES:
            errors["status"] = f"one of {', '.join(ORDER_STATUSES)}"
        if self.payment and self.payment not in PAYMENT_STATES:
            errors["payment"] = f"one of {', '.join(PAYMENT_STATES)}"
        if self.fulfillment and self.fulfillment not in FULFILLMENT_STATES:
            errors["fulfillment"] = f"one of {', '.join(FULFILLMENT_STATES)}"
        if self.placed_from and self.placed_to and self.placed_from > self.placed_to:
            errors["placed_to"] = "must not be before the first day"
        return errors


def _like_pattern(word: str) -> str:
    """``%word%`` with LIKE's wildcards escaped (escape character ``!``)."""
    escaped = word.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _search_clause(query: str) -> tuple[str, list[Any]]:
    text = query.strip()[:MAX_QUERY]
    if "@" in text:
        return "email = {}", [text.lower()]
    clauses, args = ["number = {}", "email LIKE {} ESCAPE '!'"], [text, _like_pattern(text.lower())[1:]]
    words = [word for word in text.lower().split() if word]
    if words:
        per_word = []
        for word in words:
            # addresses are stored as JSON: a non-ASCII letter appears as a \u escape
            forms = {word, json.dumps(word)[1:-1].lower()}
            for form in sorted(forms):
                per_word.append("(LOWER(shipping_address) LIKE {} ESCAPE '!' OR "
                                "LOWER(billing_address) LIKE {} ESCAPE '!')")
                args += [_like_pattern(form), _like_pattern(form)]
            if len(forms) > 1:  # either spelling of this word
                per_word[-2:] = [f"({per_word[-2]} OR {per_word[-1]})"]
        clauses.append("(" + " AND ".join(per_word) + ")")
    return "(" + " OR ".join(clauses) + ")", args


#: what an order number looks like: digits after an optional prefix (``checkout.order_number_prefix``)
_NUMBER = re.compile(r"(?:[A-Z0-9][A-Z0-9-]{0,11})?[0-9]+")


async def _is_order_number(query: str) -> bool:
    text = query.strip()
    return (len(text) <= 32 and _NUMBER.fullmatch(text) is not None
            and bool(await fetch("SELECT 1 FROM orders WHERE number = {}", text)))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def find_orders(filters: OrderFilters, cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
    """``{"items": [...], "next_cursor": str | None}``, newest first.

    Each item: ``id``, ``number``, ``status``, ``email``, ``name`` (from the
    shipping address), ``currency``, ``total`` (minor units), ``placed_at``,
    ``item_count``, ``payment`` (the latest payment's state, ``none``
    without one) and ``fulfillment`` (one of :data:`FULFILLMENT_STATES`).
    Unknown filter values and a foreign cursor are :class:`InvalidInput`."""
    errors = filters.errors()
    if errors:
        raise InvalidInput("The filters are not valid.", errors)
    limit = max(1, min(int(limit), MAX_LIMIT))
    where, args = ["number IS NOT NULL"], []
    if filters.status:
        where.append("status = {}")
        args.append(filters.status)
    if filters.payment == "none":
        where.append("NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id)")
    elif filters.payment:
        where.append(f"{_LATEST_PAYMENT_STATUS} = {{}}")
        args.append(filters.payment)
    if filters.fulfillment:
        where.append(_FULFILLMENT_SQL[filters.fulfillment])
    if filters.placed_from:
        where.append("placed_at >= {}")
        args.append(_day_start(filters.placed_from))
    if filters.placed_to:
        where.append("placed_at < {}")
        args.append(_day_start(filters.placed_to + timedelta(days=1)))
    if filters.query.strip() and await _is_order_number(filters.query):
        where.append("number = {}")  # the order itself (an index lookup), not every address with these digits
        args.append(filters.query.strip())
    elif filters.query.strip():
        clause, clause_args = _search_clause(filters.query)
        where.append(clause)
        args += clause_args
    if cursor:
        where.append("id < {}")
        args.append(_decode_cursor(cursor))
    rows = await fetch("SELECT id, number, status, email, currency, total, placed_at, shipping_address FROM orders "
                       f"WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT {{}}", *args, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = await _summaries(rows)
    return {"items": items, "next_cursor": _encode_cursor(rows[-1]["id"]) if more else None}


async def _summaries(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's rows with their item count, payment and fulfillment state
    (two queries for the whole page)."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    units = {r["order_id"]: (int(r["ordered"] or 0), int(r["shipped"] or 0)) for r in await fetch(
        f"SELECT order_id, SUM(quantity) AS ordered, SUM(fulfilled_quantity) AS shipped FROM order_lines "
        f"WHERE order_id IN ({placeholders(ids)}) GROUP BY order_id", *ids)}
    payments: dict[int, str] = {}
    for payment in await fetch(f"SELECT order_id, status FROM payments WHERE order_id IN ({placeholders(ids)}) "
                               f"ORDER BY id", *ids):
        payments[payment["order_id"]] = payment["status"]  # the latest wins
    items = []
    for row in rows:
        ordered, shipped = units.get(row["id"], (0, 0))
        address = json.loads(row["shipping_address"] or "{}")
        name = " ".join(part for part in (address.get("first_name"), address.get("last_name")) if part)
        items.append({
            "id": row["id"], "number": row["number"], "status": row["status"], "email": row["email"], "name": name,
            "currency": row["currency"], "total": int(row["total"]), "placed_at": row["placed_at"],
            "item_count": ordered, "payment": payments.get(row["id"], "none"),
            "fulfillment": "unfulfilled" if shipped == 0 else ("fulfilled" if shipped >= ordered else "partial"),
        })
    return items
