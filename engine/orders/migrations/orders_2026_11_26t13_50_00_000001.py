"""Order indexes.

Piccolo's column options express single-column indexes only; these composite
and partial indexes are created in raw SQL (the same on SQLite and PostgreSQL).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T13:50:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "order indexes"

STATEMENTS = [
    'CREATE INDEX stock_reservations_held_expiry ON stock_reservations (state, expires_at)',
    'CREATE INDEX order_events_order_id_id ON order_events (order_id, id)',
    'CREATE INDEX orders_status_id ON orders (status, id)',
    'CREATE INDEX orders_email_id ON orders (email, id)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="orders", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
