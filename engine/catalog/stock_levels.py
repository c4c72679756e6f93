"""Setting the stock of many SKUs at once (an ERP import, a stock count).

:func:`set_stock_levels` writes the on-hand quantities of up to
:data:`MAX_ITEMS` SKUs in one warehouse in one write transaction, through the
same rows and event as :func:`engine.catalog.writes.set_stock`: a SKU whose
quantity changes gets one ``stock_changed`` event carrying the caller's
``origin`` (so the plugin that made the change can skip it); a SKU whose
quantity is already that value writes nothing and emits nothing. Every SKU
must exist: one unknown SKU (or a bad quantity) refuses the whole call
before anything is written.
"""
from __future__ import annotations

from typing import Any, Mapping

from engine import outbox
from engine.catalog.validation import check_int, check_origin, check_sku, fail
from engine.catalog.writes import stock_payload, warehouse_row
from engine.db.sql import chunks, fetch, placeholders
from engine.errors import NotFound

MAX_ITEMS = 10_000
MAX_ON_HAND = 10**9
#: rows per statement (4 parameters each: well under both engines' limits)
CHUNK = 500
#: unknown SKUs named in the error message
NAMED = 5


def _check(quantities: Mapping[str, Any]) -> dict[str, int]:
    if not isinstance(quantities, Mapping):
        fail("quantities", "must map SKUs to on-hand quantities")
    if len(quantities) > MAX_ITEMS:
        fail("quantities", f"at most {MAX_ITEMS} SKUs at a time")
    checked: dict[str, int] = {}
    for sku, quantity in quantities.items():
        sku = check_sku(sku, "quantities")
        if sku in checked:
            fail(f"quantities.{sku}", "given twice")
        checked[sku] = check_int(quantity, f"quantities.{sku}", maximum=MAX_ON_HAND)
    return checked


async def set_stock_levels(runtime: Any, quantities: Mapping[str, int], warehouse: str | None = None,
                           origin: str = "catalog") -> dict[str, Any]:
    """Set ``{sku: on_hand}`` in ``warehouse`` (None or ``"default"``: the
    default warehouse) in one transaction; reservations are kept.

    Returns ``{"warehouse": code, "changed": [skus], "unchanged": [skus]}``
    (each in the order given). Raises :class:`InvalidInput` for a bad SKU,
    quantity or origin and :class:`NotFound` for unknown SKUs (naming them)
    or an unknown warehouse; nothing is written then."""
    levels = _check(quantities)
    origin = check_origin(origin)
    if not levels:
        return {"warehouse": warehouse or "default", "changed": [], "unchanged": []}
    skus = list(levels)
    changed: list[str] = []
    async with runtime.database.transaction():
        where = await warehouse_row(warehouse)
        variants: dict[str, int] = {}
        for batch in chunks(skus, CHUNK):
            rows = await fetch(f"SELECT id, sku FROM catalog_variants WHERE sku IN ({placeholders(batch)})", *batch)
            variants.update({row["sku"]: row["id"] for row in rows})
        missing = [sku for sku in skus if sku not in variants]
        if missing:
            named = ", ".join(repr(sku) for sku in missing[:NAMED]) + (", ..." if len(missing) > NAMED else "")
            raise NotFound(f"quantities: no variant for {len(missing)} SKU(s): {named}; nothing was written",
                           {"quantities": f"unknown SKUs: {named}"})
        current: dict[int, int] = {}
        for batch in chunks([variants[sku] for sku in skus], CHUNK):
            rows = await fetch(f"SELECT variant, on_hand FROM catalog_stock WHERE warehouse = {{}} "
                               f"AND variant IN ({placeholders(batch)})", where["id"], *batch)
            current.update({row["variant"]: int(row["on_hand"]) for row in rows})
        changed = [sku for sku in skus if current.get(variants[sku]) != levels[sku]]
        for batch in chunks(changed, CHUNK):
            values: list[Any] = []
            for sku in batch:
                values += [variants[sku], where["id"], levels[sku], 0]
            rows = await fetch(
                "INSERT INTO catalog_stock (variant, warehouse, on_hand, reserved) VALUES "
                + ", ".join(["({}, {}, {}, {})"] * len(batch))
                + " ON CONFLICT (variant, warehouse) DO UPDATE SET on_hand = excluded.on_hand "
                  "RETURNING variant, on_hand, reserved", *values)
            written = {row["variant"]: row for row in rows}
            await outbox.emit_many([
                ("stock_changed", stock_payload(sku, variants[sku], where["code"], int(written[variants[sku]]["on_hand"]),
                                                int(written[variants[sku]]["reserved"]), origin))
                for sku in batch])
    if changed:
        runtime.events_committed()
    written_skus = set(changed)
    unchanged = [sku for sku in skus if sku not in written_skus]
    return {"warehouse": where["code"], "changed": changed, "unchanged": unchanged}
