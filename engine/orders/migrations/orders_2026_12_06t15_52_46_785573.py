"""64-bit money columns (orders): amounts above 2^31 - 1 minor units (€21,474,836.47).
See :func:`engine.db.migrate.widen_to_bigint` (PostgreSQL in place; SQLite records only)."""
from engine.db.migrate import widen_to_bigint

ID = "2026-12-06T15:52:46:785573"
VERSION = "1.38.0"
DESCRIPTION = "64-bit money columns"


async def forwards():
    return widen_to_bigint(ID, "orders", {
        "Order": ("orders", ["subtotal", "discount_total", "shipping_total", "tax_total", "total", "paid_amount",
                            "refunded_amount"]),
        "OrderLine": ("order_lines", ["unit_price", "subtotal", "discount", "total"]),
    })
