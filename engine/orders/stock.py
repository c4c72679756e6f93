"""The stock side of an order: reservations held at placement, deducted when
paid, released when cancelled or expired, restocked when a paid order is
cancelled. Every function runs inside the caller's transaction and changes a
reservation only from the state it expects (a conditional UPDATE), so running
one twice changes nothing the second time.

Each stock row touched emits ``stock_changed`` (the catalog's payload:
``{sku, variant_id, warehouse, on_hand, reserved, available, origin}``, with
``origin`` :data:`ORIGIN`).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from engine import outbox
from engine.catalog import reservations as atomic
from engine.catalog.writes import stock_payload
from engine.db.sql import fetch, fetchone

HELD, DEDUCTED, RELEASED, RESTOCKED = "held", "deducted", "released", "restocked"
#: the ``origin`` of the stock changes an order makes
ORIGIN = "orders"


def _stock_event(sku: str, variant_id: int, warehouse: str, row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "stock_changed", stock_payload(sku, variant_id, warehouse, int(row["on_hand"]), int(row["reserved"]),
                                          ORIGIN)


async def _stock_changed(sku: str, variant_id: int, warehouse: str, row: dict[str, Any] | None) -> None:
    if row is not None:
        await outbox.emit(*_stock_event(sku, variant_id, warehouse, row))


async def hold(order_id: int, items: Sequence[tuple[str, int, int]], minutes: int) -> None:
    """Reserve ``(sku, variant_id, quantity)`` items for an order, or raise
    :class:`engine.catalog.reservations.OutOfStock` (the caller rolls back).

    Stock rows are locked in variant order, whatever the order of the cart's
    lines: two orders for the same products in another order would otherwise
    each wait for the other's row (a deadlock PostgreSQL breaks by failing one)."""
    now = datetime.now(timezone.utc)
    expires = now + timedelta(minutes=minutes)
    values: list[Any] = []
    events = []
    for sku, variant_id, quantity in sorted(items, key=lambda item: item[1]):
        for allocation in await atomic.reserve(variant_id, sku, quantity):
            values += [order_id, sku, variant_id, allocation.stock_id, allocation.warehouse_id, allocation.quantity,
                       HELD, expires, now, now]
            events.append(_stock_event(sku, variant_id, allocation.warehouse,
                                       {"on_hand": allocation.on_hand, "reserved": allocation.reserved}))
    # The rows are locked until the commit: the reservations and their events
    # are written in one statement each, not one per line.
    if events:
        await fetch("INSERT INTO stock_reservations (order_id, sku, variant_id, stock_id, warehouse_id, quantity, "
                    "state, expires_at, created_at, updated_at) VALUES "
                    + ", ".join(["({}, {}, {}, {}, {}, {}, {}, {}, {}, {})"] * len(events)), *values)
        await outbox.emit_many(events)


async def _move(order_id: int, from_state: str, to_state: str, action) -> int:
    """Move every reservation of the order in ``from_state`` to ``to_state``,
    applying ``action(stock_id, quantity)`` to its stock row. Returns units moved."""
    moved = 0
    now = datetime.now(timezone.utc)
    rows = await fetch("SELECT id, sku, variant_id, stock_id, quantity FROM stock_reservations "
                       "WHERE order_id = {} AND state = {} ORDER BY stock_id, id", order_id, from_state)  # lock order
    for row in rows:
        claimed = await fetch("UPDATE stock_reservations SET state = {}, updated_at = {} WHERE id = {} AND state = {} "
                              "RETURNING id", to_state, now, row["id"], from_state)
        if not claimed:
            continue
        stock = await action(row["stock_id"], row["quantity"])
        where = await atomic.stock_row(row["stock_id"])
        await _stock_changed(row["sku"], row["variant_id"], where["code"] if where else "", stock)
        moved += row["quantity"]
    return moved


async def deduct(order_id: int) -> int:
    """Paid: held units leave the shelf (on_hand and reserved both go down)."""
    return await _move(order_id, HELD, DEDUCTED, atomic.deduct)


async def release(order_id: int) -> int:
    """Cancelled or expired before payment: held units become available again."""
    return await _move(order_id, HELD, RELEASED, atomic.release)


async def restock(order_id: int) -> int:
    """A paid order cancelled before shipping: sold units go back on hand."""
    return await _move(order_id, DEDUCTED, RESTOCKED, atomic.restock)


async def expired_orders(now: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Orders awaiting payment whose held reservations expired (oldest first)."""
    now = now or datetime.now(timezone.utc)
    return await fetch(
        "SELECT DISTINCT o.id, o.number FROM orders o JOIN stock_reservations r ON r.order_id = o.id "
        "WHERE o.status = 'pending_payment' AND r.state = 'held' AND r.expires_at <= {} ORDER BY o.id LIMIT {}",
        now, limit)


async def restock_units(order_id: int, sku: str, quantity: int) -> int:
    """Returned goods back on the shelf: ``quantity`` units of ``sku`` on hand
    again in the stock row the order's sold units came from (the first of
    them). Returns the units put back (0 when the order sold none of ``sku``)."""
    row = await fetchone("SELECT sku, variant_id, stock_id FROM stock_reservations WHERE order_id = {} AND sku = {} "
                         "AND state = {} ORDER BY id LIMIT 1", order_id, sku, DEDUCTED)
    if row is None or quantity < 1:
        return 0
    stock = await atomic.restock(row["stock_id"], quantity)
    where = await atomic.stock_row(row["stock_id"])
    await _stock_changed(row["sku"], row["variant_id"], where["code"] if where else "", stock)
    return quantity
