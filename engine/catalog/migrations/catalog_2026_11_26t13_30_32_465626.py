"""Composite indexes, full-text search and the default warehouse.

Piccolo's column options express single-column indexes only, so the indexes
the catalog's hot queries need are created here in raw SQL, as are the
dialect-specific search structures:

- SQLite: an FTS5 external-content table ``catalog_products_fts`` over
  ``title`` and ``description`` (porter stemming, diacritics folded), kept in
  step by triggers on ``catalog_products``.
- PostgreSQL: a stored generated ``tsvector`` column ``search_vector``
  (English configuration; title weighted A, description B) with a GIN index.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T13:30:32:465626"
VERSION = "1.38.0"
DESCRIPTION = "search and indexes"

COMMON = [
    "CREATE UNIQUE INDEX catalog_pav_product_attribute ON catalog_product_attribute_values (product, attribute)",
    "CREATE INDEX catalog_pav_attribute_value ON catalog_product_attribute_values (attribute, value, product)",
    "CREATE UNIQUE INDEX catalog_pov_product_name_value ON catalog_product_option_values (product, name, value)",
    "CREATE INDEX catalog_pov_name_value ON catalog_product_option_values (name, value, product)",
    "CREATE UNIQUE INDEX catalog_pc_product_category ON catalog_product_categories (product, category)",
    "CREATE INDEX catalog_pc_category_product ON catalog_product_categories (category, product)",
    "CREATE UNIQUE INDEX catalog_cp_collection_product ON catalog_collection_products (collection, product)",
    "CREATE INDEX catalog_cp_collection_position ON catalog_collection_products (collection, position, id)",
    "CREATE UNIQUE INDEX catalog_stock_variant_warehouse ON catalog_stock (variant, warehouse)",
    "CREATE INDEX catalog_products_status_price ON catalog_products (status, price_min, id)",
    "CREATE INDEX catalog_products_status_id ON catalog_products (status, id)",
    "CREATE INDEX catalog_variants_product_position ON catalog_variants (product, position, id)",
    "CREATE INDEX catalog_images_product_position ON catalog_product_images (product, position, id)",
    "CREATE INDEX catalog_categories_parent_position ON catalog_categories (parent, position, id)",
    "CREATE UNIQUE INDEX catalog_warehouses_one_default ON catalog_warehouses (is_default) WHERE is_default",
    "INSERT INTO catalog_warehouses (code, name, is_default) VALUES ('default', 'Default warehouse', TRUE)",
]

SQLITE = [
    "CREATE VIRTUAL TABLE catalog_products_fts USING fts5(title, description, content='catalog_products', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER catalog_products_fts_ai AFTER INSERT ON catalog_products BEGIN "
    "INSERT INTO catalog_products_fts (rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "CREATE TRIGGER catalog_products_fts_ad AFTER DELETE ON catalog_products BEGIN "
    "INSERT INTO catalog_products_fts (catalog_products_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
    "CREATE TRIGGER catalog_products_fts_au AFTER UPDATE OF title, description ON catalog_products BEGIN "
    "INSERT INTO catalog_products_fts (catalog_products_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO catalog_products_fts (rowid, title, description) VALUES (new.id, new.title, new.description); END",
]

POSTGRES = [
    "ALTER TABLE catalog_products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'B')) STORED",
    "CREATE INDEX catalog_products_search ON catalog_products USING GIN (search_vector)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        extra = SQLITE if engine.engine_type == "sqlite" else POSTGRES
        for statement in COMMON + extra:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
