"""Indexes of the listing and facet tables, and their backfill for existing
shops (a separate migration: Piccolo runs a migration's raw steps before its
table operations).

The backfill is set-based over the whole catalog; afterwards
:mod:`engine.catalog.facets` keeps the rows in step with every catalog write.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T21:43:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "Listing and facet indexes, backfilled"

LISTABLE = "p.status = 'published' AND p.price_min IS NOT NULL"
SORT_NAME = "SUBSTR(LOWER(p.title), 1, 48)"

INDEXES = [
    "CREATE UNIQUE INDEX catalog_closure_descendant_ancestor ON catalog_category_closure (descendant, ancestor)",
    "CREATE INDEX catalog_closure_ancestor ON catalog_category_closure (ancestor, descendant)",
    "CREATE UNIQUE INDEX catalog_listing_category_product ON catalog_listing (category, product)",
    "CREATE INDEX catalog_listing_category_price ON catalog_listing (category, price_min, product)",
    "CREATE INDEX catalog_listing_category_name ON catalog_listing (category, sort_name, product)",
    "CREATE INDEX catalog_listing_product ON catalog_listing (product)",
    "CREATE UNIQUE INDEX catalog_product_facets_key ON catalog_product_facets (product, kind, name, value)",
    "CREATE UNIQUE INDEX catalog_facet_counts_key ON catalog_facet_counts (category, kind, name, value)",
]

# The backfill for existing shops, as set-based statements over the whole
# catalog (engine.catalog.facets does the same per batch of products).
BACKFILL = [
    "INSERT INTO catalog_category_closure (ancestor, descendant) "
    "WITH RECURSIVE up (ancestor, descendant) AS (SELECT id, id FROM catalog_categories "
    "UNION SELECT c.parent, up.descendant FROM up JOIN catalog_categories c ON c.id = up.ancestor "
    "WHERE c.parent IS NOT NULL) SELECT ancestor, descendant FROM up",
    "INSERT INTO catalog_listing (category, product, price_min, sort_name) "
    f"SELECT cl.ancestor, p.id, p.price_min, {SORT_NAME} FROM catalog_products p "
    "JOIN catalog_product_categories pc ON pc.product = p.id "
    f"JOIN catalog_category_closure cl ON cl.descendant = pc.category WHERE {LISTABLE} "
    f"UNION SELECT 0, p.id, p.price_min, {SORT_NAME} FROM catalog_products p WHERE {LISTABLE}",
    "INSERT INTO catalog_product_facets (product, kind, name, value) "
    "SELECT av.product, 'attribute', a.code, av.value FROM catalog_product_attribute_values av "
    f"JOIN catalog_attributes a ON a.id = av.attribute JOIN catalog_products p ON p.id = av.product WHERE {LISTABLE} "
    "UNION SELECT o.product, 'option', o.name, o.value FROM catalog_product_option_values o "
    f"JOIN catalog_products p ON p.id = o.product WHERE {LISTABLE}",
    "INSERT INTO catalog_facet_counts (category, kind, name, value, products) "
    "SELECT l.category, f.kind, f.name, f.value, COUNT(*) FROM catalog_listing l "
    "JOIN catalog_product_facets f ON f.product = l.product GROUP BY l.category, f.kind, f.name, f.value",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in INDEXES + BACKFILL:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
