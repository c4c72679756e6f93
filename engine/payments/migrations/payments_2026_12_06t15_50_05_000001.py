"""Ledger indexes: one row per idempotency key; one per provider id and kind.

Raw SQL because Piccolo's column options express single-column indexes only
(the same on SQLite and PostgreSQL; NULL provider ids never collide).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T15:50:05:000001"
VERSION = "1.38.0"
DESCRIPTION = "payment transaction indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX payment_transactions_key ON payment_transactions (idempotency_key)",
    "CREATE UNIQUE INDEX payment_transactions_provider ON payment_transactions (plugin, kind, provider_id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
