"""Customers as staff see them: the admin list (search, keyset pages), one
customer's profile, and the staff actions on an account — exporting its data
and deleting it on the customer's request. Staff actions write their own
audit entry (``customer.export``, ``customer.delete``), so the admin pages
and any future API record the same thing.
"""
from __future__ import annotations

from typing import Any

from engine.accounts import customers
from engine.accounts.roles import NotFound, record_change
from engine.db.cursor import decode_cursor, encode_cursor
from engine.db.sql import fetch

#: Longest search text read (longer input is cut, never an error).
MAX_QUERY = 200
MAX_PAGE = 200
_SORT = "customers:id-desc"


def _like(text: str) -> str:
    """``%text%`` for LIKE with its wildcards escaped (escape character ``!``)."""
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


async def find_customers(query: str = "", cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
    """``{"items": [...], "next_cursor": str | None}``, newest account first.

    ``query`` matches part of the e-mail address or of the name, case
    insensitively. Pages continue after the cursor's id (``WHERE id < ...``
    on the primary key), so a deep page costs what the first does. A cursor
    not made here is :class:`engine.errors.InvalidCursor`."""
    limit = max(1, min(int(limit), MAX_PAGE))
    where, args = ["1 = 1"], []
    text = " ".join((query or "").split())[:MAX_QUERY].lower()
    if text:
        where.append("(LOWER(email) LIKE {} ESCAPE '!' OR LOWER(name) LIKE {} ESCAPE '!')")
        args += [_like(text), _like(text)]
    if cursor:
        where.append("id < {}")
        args.append(decode_cursor(cursor, _SORT, (int,))[0])
    rows = await fetch("SELECT id, email, name, active, email_verified_at, created_at, last_login_at FROM customers "
                       f"WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT {{}}", *args, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{**row, "active": bool(row["active"]), "verified": row["email_verified_at"] is not None}
             for row in rows]
    return {"items": items, "next_cursor": encode_cursor(_SORT, [rows[-1]["id"]]) if more else None}


async def profile(customer_id: int) -> dict[str, Any]:
    """One customer with ``addresses`` and ``orders`` (newest first);
    :class:`NotFound` when there is no such account."""
    row = await customers.get_customer(customer_id)
    if row is None:
        raise NotFound(f"There is no customer {customer_id}.")
    return {"customer": {**customers.public(row), "active": bool(row["active"]),
                         "last_login_at": row["last_login_at"]},
            "addresses": await customers.list_addresses(customer_id),
            "orders": await customers.order_history(customer_id, limit=100)}


async def export_for_staff(actor: dict | None, customer_id: int) -> dict[str, Any]:
    """Everything the shop keeps about the customer (as the customer's own
    export), recorded as ``customer.export`` for ``actor``."""
    if await customers.get_customer(customer_id) is None:
        raise NotFound(f"There is no customer {customer_id}.")
    data = await customers.export_data(customer_id)
    await record_change(actor, "customer.export", f"customer:{customer_id}")
    return data


async def delete_on_request(runtime, actor: dict | None, customer_id: int) -> None:
    """Delete the account at the customer's request (staff do not need the
    password): personal data goes, orders stay anonymised with their totals,
    the account can no longer sign in. Refused (``CustomerError``) while an
    order is open. Recorded as ``customer.delete`` (the id only: the entry
    must not keep what was deleted)."""
    if await customers.get_customer(customer_id) is None:
        raise NotFound(f"There is no customer {customer_id}.")
    await customers.delete_account(runtime, customer_id, None, check_password=False)
    await record_change(actor, "customer.delete", f"customer:{customer_id}")
