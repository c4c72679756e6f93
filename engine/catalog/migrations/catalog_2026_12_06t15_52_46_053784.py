"""64-bit money columns (catalog): amounts above 2^31 - 1 minor units (€21,474,836.47).
See :func:`engine.db.migrate.widen_to_bigint` (PostgreSQL in place; SQLite records only)."""
from engine.db.migrate import widen_to_bigint

ID = "2026-12-06T15:52:46:053784"
VERSION = "1.38.0"
DESCRIPTION = "64-bit money columns"


async def forwards():
    return widen_to_bigint(ID, "catalog", {
        "Product": ("catalog_products", ["price_min"]),
        "Variant": ("catalog_variants", ["price_amount"]),
    })
