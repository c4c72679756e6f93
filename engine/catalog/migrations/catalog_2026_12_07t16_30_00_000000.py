"""``catalog_product_option_values`` is dropped: the option values a
product's variants use are read from the variants' ``options`` where they
are needed (the facet refresh, the export's columns).

The table was a derived copy kept with every variant write; the facet rows
(``catalog_product_facets``) and the listing's facet keys already hold the
values of every listed product, so it was the third copy. Writing it was
about a sixth of PostgreSQL's work in a large import (docs/performance.md).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Drop the derived option-value table"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)
    manager.drop_table(class_name="ProductOptionValue", tablename="catalog_product_option_values", schema=None)
    return manager
