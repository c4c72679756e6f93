"""64-bit money columns (payments): amounts above 2^31 - 1 minor units (€21,474,836.47).
See :func:`engine.db.migrate.widen_to_bigint` (PostgreSQL in place; SQLite records only)."""
from engine.db.migrate import widen_to_bigint

ID = "2026-12-06T15:52:48:335635"
VERSION = "1.38.0"
DESCRIPTION = "64-bit money columns"


async def forwards():
    return widen_to_bigint(ID, "payments", {
        "Payment": ("payments", ["amount", "captured_amount", "refunded_amount"]),
        "PaymentTransaction": ("payment_transactions", ["amount"]),
    })
