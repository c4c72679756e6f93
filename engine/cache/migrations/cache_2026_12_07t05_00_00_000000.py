"""The row triggers of a scope stand down while a transaction counts its own change.

A bulk write (the product import) changes hundreds of thousands of tracked
rows in one transaction. Each of them queued a deferred trigger event, and at
commit each event called ``cache_bump_row`` (which bumps once per transaction
and then returns at once): about 14 s of PostgreSQL's time for an import of
400,000 rows, plus the queueing during the statements (``docs/performance.md``).

Each constraint trigger now has a ``WHEN`` condition, evaluated as the row is
written (a constraint trigger's condition is not deferred): while the
transaction-local setting ``shopwright.counting_<scope>`` is ``'1'`` no event
is queued. Only :func:`engine.cache.counters.counted_once` sets it, and it
bumps the scope itself before the transaction ends, so the rule "every
committed change moves its scope's counter" is unchanged. SQLite keeps its
plain row triggers (this migration does nothing there).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from engine.cache.migrations.cache_2026_11_26t14_20_00_000002 import existing

ID = "2026-12-07T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "change counter triggers stand down for a transaction that counts itself"

#: every tracked table and its scope when this migration was written
TRACKED = {
    "catalog_categories": "catalog",
    "catalog_products": "catalog",
    "catalog_variants": "catalog",
    "catalog_attributes": "catalog",
    "catalog_product_attribute_values": "catalog",
    "catalog_product_option_values": "catalog",
    "catalog_product_categories": "catalog",
    "catalog_collections": "catalog",
    "catalog_collection_products": "catalog",
    "catalog_product_images": "catalog",
    "catalog_warehouses": "catalog",
    "catalog_stock": "stock",
    "site_settings": "site",
    "plugin_state": "plugins",
    "promotions": "promotions",
    "voucher_usages": "promotions",
}


def postgres_statements(tables: set[str]) -> list[str]:
    statements = []
    for table, scope in TRACKED.items():
        if table not in tables:
            continue
        statements.append(f"DROP TRIGGER IF EXISTS cache_bump_{table} ON {table}")
        statements.append(
            f"CREATE CONSTRAINT TRIGGER cache_bump_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"WHEN (current_setting('shopwright.counting_{scope}', true) IS DISTINCT FROM '1') "
            f"EXECUTE FUNCTION cache_bump_row('{scope}')")
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cache", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if engine.engine_type != "sqlite":
            for statement in postgres_statements(await existing(engine, TRACKED)):
                await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
