"""The erp_sync tables' composite keys, which Piccolo's column options cannot
express: one link per (kind, store key) — a second push of an order can
never record a second sale order — and a lookup index for the dead letters
of an item."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T17:12:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "erp_sync composite indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX erp_sync_links_kind_key ON erp_sync_links (kind, store_key)",
    "CREATE INDEX erp_sync_dead_letters_kind_ref ON erp_sync_dead_letters (kind, ref)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp_sync", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
