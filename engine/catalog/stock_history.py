"""Stock adjustments by staff, each kept with its reason (the stock history).

:func:`adjust_stock` changes the on-hand quantity of one variant in one
warehouse, either by a signed amount (``add``: ``+5`` received, ``-2``
damaged) or to a counted value (``set``), and records a
:class:`~engine.catalog.tables.StockMovement` — the change, the quantity
after it, the reason and who made it — with the ``stock_changed`` event, all
in one write transaction.

The quantity never goes below zero, also under concurrency: a removal is a
conditional ``UPDATE ... WHERE on_hand + change >= 0`` that changes nothing
when stock is short (refused with :class:`InvalidInput`). A counted value is
written after the row was locked (a no-op ``UPDATE ... RETURNING on_hand``:
a row lock on PostgreSQL; the immediate transaction holds SQLite), so the
recorded change is the real difference.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from engine import outbox
from engine.catalog.validation import check_int, check_sku, check_text, fail
from engine.catalog.writes import CATALOG_ORIGIN, stock_payload, warehouse_row
from engine.db.sql import fetch, fetchone, fetchval
from engine.errors import NotFound

MODES = ("add", "set")
MAX_ON_HAND = 10**9
MAX_REASON = 500


async def adjust_stock(runtime: Any, sku: str, warehouse: str | None, mode: str, quantity: int, reason: str,
                       actor: str = "") -> dict[str, Any]:
    """Add ``quantity`` (may be negative) to, or ``set`` it as, the on-hand
    stock of ``sku`` in ``warehouse`` (None: the default one), for ``reason``.

    Returns the ``stock_changed`` payload with ``change``. Raises
    :class:`InvalidInput` for a bad mode, quantity or empty reason, or a
    removal of more than is on hand; :class:`NotFound` for an unknown SKU or
    warehouse. Nothing is written then. A change of zero writes nothing."""
    sku = check_sku(sku)
    if mode not in MODES:
        fail("mode", "must be add or set")
    if mode == "set":
        quantity = check_int(quantity, "quantity", maximum=MAX_ON_HAND)
    else:
        quantity = check_int(quantity, "quantity", minimum=-MAX_ON_HAND, maximum=MAX_ON_HAND)
    reason = check_text(reason, "reason", required=True, max_length=MAX_REASON)
    async with runtime.database.transaction():
        variant_id = await fetchval("SELECT id FROM catalog_variants WHERE sku = {}", sku)
        if variant_id is None:
            raise NotFound(f"sku: no variant {sku!r}", {"sku": f"no variant {sku!r}"})
        where = await warehouse_row(warehouse)
        await fetch("INSERT INTO catalog_stock (variant, warehouse, on_hand, reserved) VALUES ({}, {}, 0, 0) "
                    "ON CONFLICT (variant, warehouse) DO NOTHING", variant_id, where["id"])
        before = await fetchval("UPDATE catalog_stock SET on_hand = on_hand WHERE variant = {} AND warehouse = {} "
                                "RETURNING on_hand", variant_id, where["id"])
        change = quantity - int(before) if mode == "set" else quantity
        if change == 0:
            row = {"on_hand": int(before), "reserved": await fetchval(
                "SELECT reserved FROM catalog_stock WHERE variant = {} AND warehouse = {}", variant_id, where["id"])}
            return {**stock_payload(sku, variant_id, where["code"], row["on_hand"], int(row["reserved"]),
                                    CATALOG_ORIGIN), "change": 0}
        row = await fetchone(
            "UPDATE catalog_stock SET on_hand = on_hand + {} WHERE variant = {} AND warehouse = {} "
            "AND on_hand + {} >= 0 AND on_hand + {} <= {} RETURNING on_hand, reserved",
            change, variant_id, where["id"], change, change, MAX_ON_HAND)
        if row is None:
            fail("quantity", f"only {before} on hand in {where['code']}: cannot remove {-change}"
                 if change < 0 else f"at most {MAX_ON_HAND} on hand")
        await fetch("INSERT INTO catalog_stock_movements (variant, warehouse, change, on_hand, reason, actor, at) "
                    "VALUES ({}, {}, {}, {}, {}, {}, {})", variant_id, where["id"], change, row["on_hand"], reason,
                    str(actor)[:320], datetime.now(timezone.utc))
        payload = stock_payload(sku, variant_id, where["code"], int(row["on_hand"]), int(row["reserved"]),
                                CATALOG_ORIGIN)
        await outbox.emit("stock_changed", payload)
    runtime.events_committed()
    return {**payload, "change": change}


async def stock_history(product_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The latest ``limit`` adjustments of a product's variants, newest first:
    ``{at, sku, warehouse, change, on_hand, reason, actor}``."""
    return await fetch(
        "SELECT m.at, v.sku, w.code AS warehouse, m.change, m.on_hand, m.reason, m.actor "
        "FROM catalog_stock_movements m JOIN catalog_variants v ON v.id = m.variant "
        "JOIN catalog_warehouses w ON w.id = m.warehouse WHERE v.product = {} ORDER BY m.id DESC LIMIT {}",
        product_id, max(1, min(int(limit), 500)))
