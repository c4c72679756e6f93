"""Atomic stock reservation, release and deduction.

Every change is one conditional ``UPDATE ... RETURNING`` on a ``catalog_stock``
row, so no row ever goes below zero whatever runs concurrently:

- SQLite serialises writers (``BEGIN IMMEDIATE``), so the condition sees the
  latest committed value;
- PostgreSQL locks the row for the rest of the transaction; a concurrent
  UPDATE of the same row waits, then re-checks its ``WHERE`` against the
  committed value (READ COMMITTED), and updates nothing when stock is short.

Call these inside ``runtime.database.transaction()``: a reservation that
cannot be completed raises :class:`OutOfStock` and the caller's transaction
rolls every earlier reservation back. Units are taken from the default
warehouse first, then from other warehouses in order of their code.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.db.sql import fetch, fetchone


class OutOfStock(Exception):
    """Not enough available stock for ``sku``; nothing was reserved for it."""

    def __init__(self, sku: str, requested: int, available: int) -> None:
        self.sku, self.requested, self.available = sku, requested, max(available, 0)
        super().__init__(f"{sku} is out of stock: {requested} requested, {self.available} available")


@dataclass(frozen=True)
class Allocation:
    """Units reserved on one stock row; ``on_hand``/``reserved`` are the row's
    values after the change."""

    stock_id: int
    warehouse_id: int
    warehouse: str
    quantity: int
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


_ROWS_SQL = """
SELECT s.id, s.warehouse, w.code, s.on_hand - s.reserved AS available
FROM catalog_stock s JOIN catalog_warehouses w ON w.id = s.warehouse
WHERE s.variant = {} ORDER BY w.is_default DESC, w.code, s.id
"""

_RESERVE_SQL = """
UPDATE catalog_stock SET reserved = reserved + {}
WHERE id = {} AND on_hand - reserved >= {}
RETURNING on_hand, reserved
"""


async def reserve(variant_id: int, sku: str, quantity: int) -> list[Allocation]:
    """Reserve ``quantity`` units of the variant; raises :class:`OutOfStock`
    (leaving this call's own partial reservations to the caller's rollback)."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    remaining = quantity
    allocations: list[Allocation] = []
    rows = await fetch(_ROWS_SQL, variant_id)
    for row in rows:
        # A row whose snapshot looked short may have grown, and one that looked
        # sufficient may have shrunk: the conditional UPDATE decides. Retry a
        # row with its fresh value a few times when it changed under us.
        available = int(row["available"])
        for _ in range(3):
            take = min(remaining, available)
            if take <= 0:
                break
            updated = await fetchone(_RESERVE_SQL, take, row["id"], take)
            if updated is not None:
                allocations.append(Allocation(row["id"], row["warehouse"], row["code"], take,
                                              int(updated["on_hand"]), int(updated["reserved"])))
                remaining -= take
                break
            fresh = await fetchone("SELECT on_hand - reserved AS available FROM catalog_stock WHERE id = {}", row["id"])
            available = int(fresh["available"]) if fresh else 0
        if remaining == 0:
            return allocations
    raise OutOfStock(sku, quantity, quantity - remaining)


async def release(stock_id: int, quantity: int) -> dict | None:
    """Give back ``quantity`` reserved units (never below zero). Returns the
    row's ``{on_hand, reserved}`` after the change, or None if it is gone."""
    return await fetchone(
        "UPDATE catalog_stock SET reserved = CASE WHEN reserved >= {} THEN reserved - {} ELSE 0 END "
        "WHERE id = {} RETURNING on_hand, reserved", quantity, quantity, stock_id)


async def deduct(stock_id: int, quantity: int) -> dict | None:
    """Turn ``quantity`` reserved units into a sale: ``on_hand`` and ``reserved``
    both go down by it (never below zero)."""
    return await fetchone(
        "UPDATE catalog_stock SET on_hand = CASE WHEN on_hand >= {} THEN on_hand - {} ELSE 0 END, "
        "reserved = CASE WHEN reserved >= {} THEN reserved - {} ELSE 0 END "
        "WHERE id = {} RETURNING on_hand, reserved", quantity, quantity, quantity, quantity, stock_id)


async def restock(stock_id: int, quantity: int) -> dict | None:
    """Put ``quantity`` sold units back on hand (a cancelled paid order)."""
    return await fetchone(
        "UPDATE catalog_stock SET on_hand = on_hand + {} WHERE id = {} RETURNING on_hand, reserved",
        quantity, stock_id)


async def stock_row(stock_id: int) -> dict | None:
    """``{id, variant, warehouse, code, on_hand, reserved}`` of one stock row."""
    return await fetchone(
        "SELECT s.id, s.variant, s.warehouse, w.code, s.on_hand, s.reserved FROM catalog_stock s "
        "JOIN catalog_warehouses w ON w.id = s.warehouse WHERE s.id = {}", stock_id)
