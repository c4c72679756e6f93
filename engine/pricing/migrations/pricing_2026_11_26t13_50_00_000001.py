"""Voucher usage indexes.

Piccolo's column options express single-column indexes only; these composite
and partial indexes are created in raw SQL (the same on SQLite and PostgreSQL).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T13:50:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "voucher usage indexes"

STATEMENTS = [
    'CREATE UNIQUE INDEX voucher_usages_promotion_customer_sequence ON voucher_usages (promotion, customer_key, sequence)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pricing", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
