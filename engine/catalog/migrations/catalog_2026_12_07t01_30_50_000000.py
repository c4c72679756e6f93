"""Indexes of the facet keys, and their backfill for existing shops (a
separate migration: Piccolo runs a migration's raw steps before its table
operations): every category gets its count of listed products, and on
PostgreSQL every facet value its number, every listing row its ``facet_ids`` and
``keys`` (the same scoped to its category: ``category * 2**32 + id``) and the
GIN index of the keys.

Afterwards :mod:`engine.catalog.facets` keeps the rows in step with every
catalog write.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T01:30:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "Facet keys and listed counts, backfilled; the listing's GIN index"

INDEXES = [
    "CREATE UNIQUE INDEX catalog_facet_keys_key ON catalog_facet_keys (kind, name, value)",
]
POSTGRES_INDEXES = [
    "CREATE INDEX catalog_listing_keys ON catalog_listing USING gin (keys)",
]

BACKFILL = [
    "INSERT INTO catalog_facet_counts (category, kind, name, value, products) "
    "SELECT category, 'listed', '', '', COUNT(*) FROM catalog_listing GROUP BY category",
]
POSTGRES_BACKFILL = [
    "INSERT INTO catalog_facet_keys (kind, name, value) SELECT DISTINCT kind, name, value "
    "FROM catalog_product_facets ORDER BY kind, name, value",
    "UPDATE catalog_listing l SET facet_ids = COALESCE((SELECT array_agg(fk.id ORDER BY fk.id) "
    "FROM catalog_product_facets f JOIN catalog_facet_keys fk ON fk.kind = f.kind AND fk.name = f.name "
    "AND fk.value = f.value WHERE f.product = l.product), ARRAY[]::integer[])",
    "UPDATE catalog_listing SET keys = ARRAY(SELECT category::bigint * 4294967296 + i FROM unnest(facet_ids) AS i)",
]


def statements(dialect: str) -> list[str]:
    """The migration's statements on ``sqlite`` or ``postgres``, in order."""
    if dialect == "postgres":
        return INDEXES + POSTGRES_INDEXES + BACKFILL + POSTGRES_BACKFILL
    return INDEXES + BACKFILL


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in statements("sqlite" if engine.engine_type == "sqlite" else "postgres"):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
