"""On PostgreSQL, the listing's B-tree on ``product`` becomes a hash index
(the catalog writes' lookups, ``product = ANY(...)``) and a BRIN index (the
rebuild's ranges, ``product BETWEEN``; rows are written in product ranges).

As a B-tree it also offered every row in product order, and the planner,
weighing its near-perfect physical correlation against the category index's,
walked it backwards for a category's "newest" page with filters, testing
every product of every category: about 40,000 rows instead of 800 at 100,000
products (28 ms instead of 3 ms; docs/performance.md). Neither a hash nor a
BRIN index gives an order, so the walk takes ``(category, product)``. SQLite
keeps its B-tree (it plans that walk by the category).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T10:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The listing's product index: hash and BRIN on PostgreSQL"

POSTGRES = [
    "DROP INDEX IF EXISTS catalog_listing_product",
    "CREATE INDEX catalog_listing_product ON catalog_listing USING hash (product)",
    "CREATE INDEX catalog_listing_product_range ON catalog_listing USING brin (product)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if engine.engine_type != "sqlite":
            for statement in POSTGRES:
                await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
