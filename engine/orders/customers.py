"""A customer's orders, as the accounts domain needs them: the history shown
in the account, the data export, and anonymising when an account is deleted
(orders stay for the shop's books)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from engine.db.sql import fetch, placeholders

#: Orders in these states keep the account from being deleted (they still
#: need the customer's details to be paid, shipped or answered).
OPEN_ORDER_STATUSES = ("pending_payment", "paid", "partially_fulfilled")
ANONYMOUS_ADDRESS = {"first_name": "Deleted", "last_name": "customer", "company": None, "line1": "-", "line2": None,
                     "city": "-", "region": None, "postal_code": "", "phone": None}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def history(customer_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """The customer's orders, newest first (``number``, ``status``, ``total``, ``placed_at``)."""
    rows = await fetch("SELECT number, status, currency, total, placed_at FROM orders WHERE customer = {} "
                       "AND number IS NOT NULL ORDER BY id DESC LIMIT {}", customer_id, limit)
    return [{"number": row["number"], "status": row["status"],
             "total": {"amount": int(row["total"]), "currency": row["currency"]},
             "placed_at": _iso(row["placed_at"])} for row in rows]


async def export(customer_id: int) -> list[dict[str, Any]]:
    """Every order of the customer with its lines and addresses, oldest first (JSON-ready)."""
    orders = await fetch("SELECT * FROM orders WHERE customer = {} AND number IS NOT NULL ORDER BY id", customer_id)
    exported = []
    for order in orders:
        lines = await fetch("SELECT sku, title, quantity, unit_price, total FROM order_lines WHERE order_id = {} "
                            "ORDER BY position, id", order["id"])
        exported.append({
            "number": order["number"], "status": order["status"], "email": order["email"],
            "placed_at": _iso(order["placed_at"]), "currency": order["currency"], "total": int(order["total"]),
            "shipping_address": json.loads(order["shipping_address"] or "{}"),
            "billing_address": json.loads(order["billing_address"] or "{}"),
            "lines": [dict(line) for line in lines],
        })
    return exported


async def open_order_numbers(customer_id: int) -> list[str]:
    """Numbers of the customer's orders still to be paid or shipped."""
    rows = await fetch(f"SELECT number FROM orders WHERE customer = {{}} AND status IN "
                       f"({placeholders(OPEN_ORDER_STATUSES)})", customer_id, *OPEN_ORDER_STATUSES)
    return [row["number"] or "?" for row in rows]


def _anonymised(address_json: str) -> str:
    try:
        address = json.loads(address_json or "{}")
    except ValueError:
        address = {}
    country = address.get("country") if isinstance(address, dict) else None
    return json.dumps({**ANONYMOUS_ADDRESS, "country": country or ""})


async def anonymise_in_tx(customer_id: int) -> int:
    """Inside the account deletion's transaction: detach the customer's
    orders and remove what identifies them (e-mail ``deleted-<id>@invalid``,
    names and streets; the country stays for the books). How many orders."""
    orders = await fetch("SELECT id, shipping_address, billing_address FROM orders WHERE customer = {}", customer_id)
    for order in orders:
        await fetch("UPDATE orders SET customer = NULL, email = {}, shipping_address = {}, billing_address = {} "
                    "WHERE id = {}", f"deleted-{order['id']}@invalid", _anonymised(order["shipping_address"]),
                    _anonymised(order["billing_address"]), order["id"])
    return len(orders)
