"""Catalog tables: categories, products, variants, attributes, collections,
images, warehouses and stock.

Composite indexes, the full-text index and the default warehouse are created
by the raw-SQL migration (``migrations/catalog_*_search_and_indexes.py``);
Piccolo's column options only express single-column indexes.

``Product.price_min`` is denormalised: the lowest variant price (minor units)
of the product, kept in step by every catalog write. Listings sort and filter
by it ("price from"), so a price sort is a keyset seek on
``(status, price_min, id)``.
"""
from __future__ import annotations

from piccolo.columns import (
    Array,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

PRODUCT_STATUSES = ("draft", "published")
ATTRIBUTE_TYPES = ("text", "number", "boolean", "choice")


class Category(Table, tablename="catalog_categories"):
    """A node of the category tree; ``parent`` null for a root."""

    id = Serial(primary_key=True)
    parent = ForeignKey("self", null=True, on_delete=OnDelete.set_null)
    slug = Varchar(length=200, unique=True)
    name = Varchar(length=200)
    description = Text(default="")
    position = Integer(default=0)
    seo_title = Varchar(length=300, default="")
    seo_description = Text(default="")
    created_at = Timestamptz()


class Product(Table, tablename="catalog_products"):
    """A product; what is sold is one of its variants. ``status``: draft|published."""

    id = Serial(primary_key=True)
    slug = Varchar(length=200, unique=True)
    title = Varchar(length=300)
    description = Text(default="")
    status = Varchar(length=20, default="draft")
    seo_title = Varchar(length=300, default="")
    seo_description = Text(default="")
    tax_class = Varchar(length=50, default="standard")
    price_min = BigInt(null=True, default=None)
    currency = Varchar(length=3, default="EUR")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Variant(Table, tablename="catalog_variants"):
    """A buyable variant. ``options`` is a JSON object such as
    ``{"size": "M", "colour": "Red"}``; ``price_amount`` is in minor units."""

    id = Serial(primary_key=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    sku = Varchar(length=100, unique=True)
    options = Text(default="{}")
    price_amount = BigInt(default=0)
    currency = Varchar(length=3, default="EUR")
    weight_grams = Integer(default=0)
    position = Integer(default=0)


class Attribute(Table, tablename="catalog_attributes"):
    """A typed product attribute: ``type`` text|number|boolean|choice;
    ``choices`` a JSON list (choice type only)."""

    id = Serial(primary_key=True)
    code = Varchar(length=100, unique=True)
    name = Varchar(length=200)
    type = Varchar(length=20, default="text")
    choices = Text(default="[]")
    filterable = Boolean(default=True)
    position = Integer(default=0)


class ProductAttributeValue(Table, tablename="catalog_product_attribute_values"):
    """One attribute value of a product, stored in canonical text form
    (numbers as plain decimals, booleans ``true``/``false``). Unique per
    (product, attribute)."""

    id = Serial(primary_key=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    attribute = ForeignKey(Attribute, on_delete=OnDelete.cascade)
    value = Varchar(length=500)


class ProductCategory(Table, tablename="catalog_product_categories"):
    id = Serial(primary_key=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    category = ForeignKey(Category, on_delete=OnDelete.cascade)
    position = Integer(default=0)


class Collection(Table, tablename="catalog_collections"):
    """A merchant-curated list of products (the ``featured`` collection feeds the home page)."""

    id = Serial(primary_key=True)
    slug = Varchar(length=200, unique=True)
    title = Varchar(length=300)
    description = Text(default="")
    position = Integer(default=0)


class CollectionProduct(Table, tablename="catalog_collection_products"):
    id = Serial(primary_key=True)
    collection = ForeignKey(Collection, on_delete=OnDelete.cascade)
    product = ForeignKey(Product, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)


class ProductImage(Table, tablename="catalog_product_images"):
    """An image of a product: an absolute URL or a path under the media URL
    (``/media/...``). ``alt`` is required (validated by the services)."""

    id = Serial(primary_key=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    url = Varchar(length=1000)
    alt = Varchar(length=500)
    position = Integer(default=0)


class Warehouse(Table, tablename="catalog_warehouses"):
    """A stock location. Exactly one has ``is_default``; the migration creates
    ``default``."""

    id = Serial(primary_key=True)
    code = Varchar(length=50, unique=True)
    name = Varchar(length=200)
    is_default = Boolean(default=False)


class Stock(Table, tablename="catalog_stock"):
    """Stock of one variant in one warehouse (unique pair).
    ``available = on_hand - reserved``; both are never negative."""

    id = Serial(primary_key=True)
    variant = ForeignKey(Variant, on_delete=OnDelete.cascade)
    warehouse = ForeignKey(Warehouse, on_delete=OnDelete.cascade, index=True)
    on_hand = Integer(default=0)
    reserved = Integer(default=0)


class StockMovement(Table, tablename="catalog_stock_movements"):
    """One stock adjustment made by staff: the change of ``on_hand`` in a
    warehouse, the quantity after it, why (``reason``, required) and who
    (``actor``, the staff member's e-mail or the token's name)."""

    id = Serial(primary_key=True)
    variant = ForeignKey(Variant, on_delete=OnDelete.cascade, index=True)
    warehouse = ForeignKey(Warehouse, on_delete=OnDelete.cascade)
    change = Integer(default=0)
    on_hand = Integer(default=0)
    reason = Varchar(length=500)
    actor = Varchar(length=320, default="")
    at = Timestamptz()


class CatalogTransfer(Table, tablename="catalog_transfers"):
    """A CSV import or export run as a job. ``kind`` import|export; ``status``
    queued|running|done|failed; ``done`` of ``total`` rows; ``payload`` the
    uploaded file (import) or the exported file once done (export);
    ``errors`` a JSON list of ``{line, message}``."""

    id = Serial(primary_key=True)
    kind = Varchar(length=10)
    status = Varchar(length=10, default="queued")
    filename = Varchar(length=200, default="")
    total = Integer(default=0)
    done = Integer(default=0)
    payload = Text(default="")
    errors = Text(default="[]")
    actor = Varchar(length=320, default="")
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class CategoryClosure(Table, tablename="catalog_category_closure"):
    """Derived (:mod:`engine.catalog.facets`): one row per category and each of
    its ancestors, itself included, so "in this category or below" is a join."""

    id = Serial(primary_key=True)
    ancestor = Integer()
    descendant = Integer()


class ListingEntry(Table, tablename="catalog_listing"):
    """Derived (:mod:`engine.catalog.facets`): a listable product (published,
    with a price) under each category it is in or below, and under category 0
    (the whole catalog), with the keys listings sort by. No foreign keys: the
    facet refresh removes the rows of deleted products and categories itself.

    PostgreSQL only (NULL on SQLite): ``facet_ids``, the :class:`FacetKey`
    ids of the product's facet values, so a filter is checked inside the row
    while a listing walks its sort index; and ``keys``, the same scoped to the
    row's category (``category * 2**32 + id``, see
    :func:`engine.catalog.facets.scoped_key`), whose GIN index answers "the
    products of this category that have all these values" from the
    category's own posting lists."""

    id = Serial(primary_key=True)
    category = Integer()
    product = Integer()
    price_min = BigInt()
    sort_name = Varchar(length=200)
    facet_ids = Array(Integer(), null=True, default=None)
    keys = Array(BigInt(), null=True, default=None)


class ProductFacet(Table, tablename="catalog_product_facets"):
    """Derived (:mod:`engine.catalog.facets`): the filterable values of a listed
    product; ``kind`` is ``attribute`` (``name`` the attribute code) or
    ``option`` (``name`` the variant option name)."""

    id = Serial(primary_key=True)
    product = Integer()
    kind = Varchar(length=10)
    name = Varchar(length=100)
    value = Varchar(length=500)


class FacetKey(Table, tablename="catalog_facet_keys"):
    """Derived (:mod:`engine.catalog.facets`): a number for each facet value
    ever listed (``kind``, ``name``, ``value`` as in :class:`ProductFacet`),
    the element type of ``catalog_listing.keys``. Rows are added, never
    removed, so a number never changes its meaning."""

    id = Serial(primary_key=True)
    kind = Varchar(length=10)
    name = Varchar(length=100)
    value = Varchar(length=500)


class FacetCount(Table, tablename="catalog_facet_counts"):
    """Derived (:mod:`engine.catalog.facets`): how many listed products under
    ``category`` (0: the whole catalog) have each facet value; kept by deltas.
    The row of kind ``listed`` (empty name and value) counts the category's
    listed products."""

    id = Serial(primary_key=True)
    category = Integer()
    kind = Varchar(length=10)
    name = Varchar(length=100)
    value = Varchar(length=500)
    products = Integer(default=0)


TABLES = [
    Category, Product, Variant, Attribute, ProductAttributeValue, ProductCategory,
    Collection, CollectionProduct, ProductImage, Warehouse, Stock, StockMovement, CatalogTransfer,
    CategoryClosure, ListingEntry, ProductFacet, FacetKey, FacetCount,
]
