"""The erp_sync tables (see :mod:`shopwright_erp_sync.tables`), in plain DDL
so that the composite unique keys are declared with them: one link per
(kind, store key), one open dead letter per (kind, ref)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T17:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "erp_sync tables"


def statements(serial: str) -> list[str]:
    return [
        f"CREATE TABLE erp_sync_state (id {serial}, key VARCHAR(100) NOT NULL UNIQUE, value TEXT NOT NULL DEFAULT '')",
        f"CREATE TABLE erp_sync_links (id {serial}, kind VARCHAR(20) NOT NULL, store_key VARCHAR(200) NOT NULL, "
        "erp_id VARCHAR(200) NOT NULL, created_at TIMESTAMPTZ NOT NULL)",
        "CREATE UNIQUE INDEX erp_sync_links_kind_key ON erp_sync_links (kind, store_key)",
        f"CREATE TABLE erp_sync_dead_letters (id {serial}, kind VARCHAR(20) NOT NULL, ref VARCHAR(200) NOT NULL, "
        "error TEXT NOT NULL DEFAULT '', tries INTEGER NOT NULL DEFAULT 1, resolved BOOLEAN NOT NULL DEFAULT FALSE, "
        "created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)",
        "CREATE INDEX erp_sync_dead_letters_kind_ref ON erp_sync_dead_letters (kind, ref)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp_sync", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        serial = "INTEGER PRIMARY KEY" if engine.engine_type == "sqlite" else "SERIAL PRIMARY KEY"
        for statement in statements(serial):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
