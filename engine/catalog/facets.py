"""Facets and the listing index: what category pages read, kept in step with
every catalog write so a read costs what the category costs, not what the
catalog costs.

Five derived tables (see :mod:`engine.catalog.tables`), written only here:

- ``catalog_category_closure``: (ancestor, descendant) pairs of the category
  tree, each category its own ancestor. Rebuilt whole by
  :func:`rebuild_closure` after a category is created, moved or deleted
  (categories are few).
- ``catalog_listing``: one row per listable product (published, with a
  price) and category it is in or below, plus category 0 for the whole
  catalog, with ``price_min`` and ``sort_name``. Listings filter and sort on
  its indexes ``(category, product)``, ``(category, price_min, product)`` and
  ``(category, sort_name, product)``.
- ``catalog_product_facets``: the attribute values and variant option values
  of each listed product; filters probe it by ``(product, kind, name, value)``.
- ``catalog_facet_counts``: per category, how many listed products have each
  facet value, and (kind ``listed``) how many products are listed. :func:`facets`
  reads one index range of it; listings read it to pick their plan.
- ``catalog_facet_keys`` (PostgreSQL): a number per facet value. Each listing
  row carries its product's numbers (``facet_ids``, checked in the row while
  a listing walks its sort index) and the same scoped to the row's category
  (``keys``, :func:`scoped_key`), whose GIN index answers "which products of
  this category have all of these values" from the category's own posting
  lists.

Contract: every write that can change what a product contributes (status,
price, categories, attribute or option values, deletion) calls
:func:`refresh_products` with the product ids inside its own transaction;
a write that changes the tree calls :func:`refresh_tree` there too. The
refresh is set-based (a few statements per :data:`CHUNK` products) and
idempotent: running it again for the same ids changes nothing.
"""
from __future__ import annotations

from typing import Any, Iterable

from engine.catalog.summaries import money
from engine.db.sql import chunks, dialect, fetch, fetchval, placeholders, reading

#: The tables written here (the importer refreshes their planner statistics too).
DERIVED_TABLES = ("catalog_category_closure", "catalog_listing", "catalog_product_facets", "catalog_facet_counts",
                  "catalog_facet_keys")
#: The category id that stands for the whole catalog in the derived tables.
ALL_PRODUCTS = 0
#: Products refreshed per statement (bounded IN lists on both databases).
CHUNK = 500
#: An import that writes more products than this stops refreshing per batch
#: and rebuilds the derived tables once at its end (:func:`rebuild_all`):
#: one pass over the catalog costs less than a refresh per product.
REBUILD_AFTER_PRODUCTS = 20_000
#: Product ids per round of :func:`rebuild_all`.
REBUILD_RANGE = 10_000
#: ``catalog_listing.keys`` holds ``category * KEY_SCOPE + facet key id``.
KEY_SCOPE = 2**32
#: Characters of the title kept as the name sort key (lower-cased; short
#: enough for a keyset cursor to carry it).
SORT_NAME_LENGTH = 48

# ``status || ''``: the id list is the selective term; without statistics
# SQLite would otherwise walk the (status, price_min, id) index instead.
_LISTABLE = "p.status || '' = 'published' AND p.price_min IS NOT NULL"
_SORT_NAME = f"SUBSTR(LOWER(p.title), 1, {SORT_NAME_LENGTH})"


def _new_listing(products: str) -> str:
    """Rows ``catalog_listing`` should hold for the products the condition
    ``products`` selects (``@`` stands for the product id column; its
    arguments are given twice)."""
    only = products.replace("@", "p.id")
    return (f"SELECT cl.ancestor AS category, p.id AS product, p.price_min AS price_min, {_SORT_NAME} AS sort_name "
            f"FROM catalog_products p JOIN catalog_product_categories pc ON pc.product = p.id "
            f"JOIN catalog_category_closure cl ON cl.descendant = pc.category "
            f"WHERE {only} AND {_LISTABLE} "
            f"UNION SELECT {ALL_PRODUCTS}, p.id, p.price_min, {_SORT_NAME} FROM catalog_products p "
            f"WHERE {only} AND {_LISTABLE}")


def variant_options() -> str:
    """``FROM`` items giving each variant ``v`` (``catalog_variants``) one row
    ``o`` per option, ``o.key`` its name and ``o.value`` its value (text):
    ``options`` is a JSON object of strings."""
    if dialect() == "postgres":
        return "catalog_variants v CROSS JOIN LATERAL json_each_text(v.options::json) o"
    return "catalog_variants v, json_each(v.options) o"


def _new_facets(products: str) -> str:
    """Rows ``catalog_product_facets`` should hold for the products the
    condition ``products`` selects (as for :func:`_new_listing`): attribute
    values, and the option values the product's variants use. The two kinds
    cannot overlap and the first holds no duplicates: no UNION sort."""
    return (f"SELECT av.product AS product, 'attribute' AS kind, a.code AS name, av.value AS value "
            f"FROM catalog_product_attribute_values av JOIN catalog_attributes a ON a.id = av.attribute "
            f"JOIN catalog_products p ON p.id = av.product WHERE {products.replace('@', 'av.product')} "
            f"AND {_LISTABLE} "
            f"UNION ALL SELECT DISTINCT v.product, 'option', o.key, CAST(o.value AS TEXT) FROM {variant_options()} "
            f"JOIN catalog_products p ON p.id = v.product WHERE {products.replace('@', 'v.product')} AND {_LISTABLE}")


async def refresh_products(product_ids: Iterable[int]) -> None:
    """Bring the listing, facet and count rows of these products in line with
    the catalog (deleted or unlisted products lose theirs). Call it inside
    the write's transaction, after the write."""
    ids = sorted({int(i) for i in product_ids if i is not None})
    for chunk in chunks(ids, CHUNK):
        await _refresh_chunk(chunk)


def scoped_key(category: int, facet_key: int) -> int:
    """The element of ``catalog_listing.keys`` that stands for the facet value
    numbered ``facet_key`` (``catalog_facet_keys.id``) in ``category``."""
    return category * KEY_SCOPE + facet_key


def _keyed_listing(products: str) -> str:
    """:func:`_new_listing` with each row's ``facet_ids`` and ``keys`` (PostgreSQL; the
    product's facet rows must be written first). Arguments of ``products``
    three times."""
    return (f"WITH n AS ({_new_listing(products)}), k AS (SELECT f.product, array_agg(fk.id ORDER BY fk.id) AS ids "
            f"FROM catalog_product_facets f JOIN catalog_facet_keys fk "
            f"ON fk.kind = f.kind AND fk.name = f.name AND fk.value = f.value WHERE {products.replace('@', 'f.product')} "
            f"GROUP BY f.product) "
            f"SELECT n.category, n.product, n.price_min, n.sort_name, COALESCE(k.ids, ARRAY[]::integer[]), "
            f"COALESCE(ARRAY(SELECT n.category::bigint * {KEY_SCOPE} + i FROM unnest(k.ids) AS i), "
            f"ARRAY[]::bigint[]) FROM n LEFT JOIN k ON k.product = n.product")


async def _write_listing(products: str, *args: Any) -> None:
    """Insert the listing rows of the products ``products`` selects (their
    facet rows already written); ``args``: the condition's arguments."""
    if dialect() == "postgres":
        # New facet values get their number first; ordered, so concurrent
        # writers take the unique index's locks in one order.
        await fetch(f"INSERT INTO catalog_facet_keys (kind, name, value) SELECT DISTINCT f.kind, f.name, f.value "
                    f"FROM catalog_product_facets f WHERE {products.replace('@', 'f.product')} AND NOT EXISTS ("
                    f"SELECT 1 FROM catalog_facet_keys fk WHERE fk.kind = f.kind AND fk.name = f.name "
                    f"AND fk.value = f.value) ORDER BY f.kind, f.name, f.value "
                    f"ON CONFLICT (kind, name, value) DO NOTHING", *args)
        await fetch(f"INSERT INTO catalog_listing (category, product, price_min, sort_name, facet_ids, keys) "
                    f"{_keyed_listing(products)}", *args, *args, *args)
    else:
        await fetch(f"INSERT INTO catalog_listing (category, product, price_min, sort_name) "
                    f"{_new_listing(products)}", *args, *args)


async def _refresh_chunk(ids: list[int]) -> None:
    marks = placeholders(ids)
    products = f"@ IN ({marks})"
    # One statement applies the net change of the counts (what the products
    # contribute now minus what they contributed before), its keys in sorted
    # order, so concurrent refreshes on PostgreSQL lock count rows in one order.
    await fetch(
        f"WITH n AS ({_new_listing(products)}) "
        f"INSERT INTO catalog_facet_counts (category, kind, name, value, products) "
        f"SELECT d.category, d.kind, d.name, d.value, SUM(d.change) FROM ("
        f"SELECT l.category, f.kind, f.name, f.value, -1 AS change FROM catalog_listing l "
        f"JOIN catalog_product_facets f ON f.product = l.product WHERE l.product IN ({marks}) "
        f"UNION ALL SELECT l.category, 'listed', '', '', -1 FROM catalog_listing l WHERE l.product IN ({marks}) "
        f"UNION ALL SELECT n.category, f.kind, f.name, f.value, 1 FROM n "
        f"JOIN ({_new_facets(products)}) f ON f.product = n.product "
        f"UNION ALL SELECT n.category, 'listed', '', '', 1 FROM n) d WHERE 1 = 1 "
        f"GROUP BY d.category, d.kind, d.name, d.value HAVING SUM(d.change) <> 0 "
        f"ORDER BY d.category, d.kind, d.name, d.value "
        f"ON CONFLICT (category, kind, name, value) DO UPDATE "
        f"SET products = catalog_facet_counts.products + excluded.products",
        *ids, *ids, *ids, *ids, *ids, *ids)
    await fetch(f"DELETE FROM catalog_product_facets WHERE product IN ({marks})", *ids)
    await fetch(f"INSERT INTO catalog_product_facets (product, kind, name, value) {_new_facets(products)}",
                *ids, *ids)
    await fetch(f"DELETE FROM catalog_listing WHERE product IN ({marks})", *ids)
    await _write_listing(products, *ids)


async def rebuild_closure() -> None:
    """Rewrite ``catalog_category_closure`` from the category tree (a cycle
    made by hand in the database stops at the repeated category)."""
    rows = await fetch("SELECT id, parent FROM catalog_categories")
    parents = {row["id"]: row["parent"] for row in rows}
    pairs = []
    for category in parents:
        node, seen = category, set()
        while node is not None and node in parents and node not in seen:
            seen.add(node)
            pairs.append((node, category))
            node = parents[node]
    await fetch("DELETE FROM catalog_category_closure")
    for batch in chunks(pairs, 250):
        await fetch("INSERT INTO catalog_category_closure (ancestor, descendant) VALUES "
                    + ", ".join("({}, {})" for _ in batch), *[value for pair in batch for value in pair])


async def listed_under(category_id: int) -> list[int]:
    """Ids of the products listed under ``category_id`` (it or below)."""
    return [row["product"] for row in await fetch(
        "SELECT product FROM catalog_listing WHERE category = {}", category_id)]


async def refresh_tree(moved: Iterable[int] = ()) -> None:
    """After a category is created, moved or deleted: rebuild the closure and
    refresh the products listed under the ``moved`` (or deleted) categories
    as they were before the change, and those under them now."""
    before = {product for category in moved for product in await listed_under(category)}
    await rebuild_closure()
    after = set()
    for category in moved:
        after.update(row["product"] for row in await fetch(
            "SELECT pc.product FROM catalog_product_categories pc JOIN catalog_category_closure cl "
            "ON cl.descendant = pc.category WHERE cl.ancestor = {}", category))
    await refresh_products(before | after)


async def rebuild_all() -> None:
    """Rebuild every derived row from the catalog, set-based, in ranges of
    :data:`REBUILD_RANGE` product ids (no id lists; each statement's sorts
    stay bounded whatever the catalog's size): a repair for rows written
    behind the services' back, and what a large import runs once at its end
    instead of a refresh per batch (:data:`REBUILD_AFTER_PRODUCTS`)."""
    await fetch("DELETE FROM catalog_facet_counts")
    await fetch("DELETE FROM catalog_listing")
    await fetch("DELETE FROM catalog_product_facets")
    await rebuild_closure()
    bounds = (await fetch("SELECT MIN(id) AS low, MAX(id) AS high FROM catalog_products"))[0]
    if bounds["low"] is None:
        return
    products = "@ BETWEEN {} AND {}"
    for low in range(int(bounds["low"]), int(bounds["high"]) + 1, REBUILD_RANGE):
        high = low + REBUILD_RANGE - 1
        await fetch(f"INSERT INTO catalog_product_facets (product, kind, name, value) {_new_facets(products)}",
                    low, high, low, high)
        await _write_listing(products, low, high)
        await fetch("INSERT INTO catalog_facet_counts (category, kind, name, value, products) "
                    "SELECT l.category, f.kind, f.name, f.value, COUNT(*) FROM catalog_listing l "
                    "JOIN catalog_product_facets f ON f.product = l.product "
                    "WHERE l.product BETWEEN {} AND {} AND f.product BETWEEN {} AND {} "  # both sides read by range
                    "GROUP BY l.category, f.kind, f.name, f.value "
                    "ON CONFLICT (category, kind, name, value) DO UPDATE "
                    "SET products = catalog_facet_counts.products + excluded.products", low, high, low, high)
        await fetch("INSERT INTO catalog_facet_counts (category, kind, name, value, products) "
                    "SELECT category, 'listed', '', '', COUNT(*) FROM catalog_listing WHERE product BETWEEN {} AND {} "
                    "GROUP BY category ON CONFLICT (category, kind, name, value) DO UPDATE "
                    "SET products = catalog_facet_counts.products + excluded.products", low, high)


async def category_id(slug: str) -> int | None:
    """The id of the category ``slug``, or None."""
    return await fetchval("SELECT id FROM catalog_categories WHERE slug = {}", slug)


async def facets(category_slug: str | None = None) -> dict[str, Any] | None:
    """What the filter UI of a listing can offer, over the listed (published,
    priced) products in the category and below it (all of them when None):
    ``{category, price: {min, max} | None, attributes: [{code, name, type,
    values: [{value, count}]}], options: [{name, values: [{value, count}]}]}``.
    Only ``filterable`` attributes are listed. None for an unknown category.
    Three index-range reads (plus one for the category) whatever the
    catalog's size."""
    scope = ALL_PRODUCTS
    if category_slug:
        found = await category_id(category_slug)
        if found is None:
            return None
        scope = found
    end = ("SELECT l.price_min, p.currency FROM catalog_listing l JOIN catalog_products p ON p.id = l.product "
           "WHERE l.category = {{}} ORDER BY l.price_min{order}, l.product{order} LIMIT 1")
    async with reading():
        ends = sorted(await fetch(f"SELECT * FROM ({end.format(order='')}) low UNION ALL "
                                  f"SELECT * FROM ({end.format(order=' DESC')}) high", scope, scope),
                      key=lambda row: row["price_min"])
        attribute_rows = await fetch(
            "SELECT a.code, a.name, a.type, c.value, c.products FROM catalog_facet_counts c "
            "JOIN catalog_attributes a ON a.code = c.name WHERE c.category = {} AND c.kind = 'attribute' "
            "AND c.products > 0 AND a.filterable = {} ORDER BY a.position, a.code, c.value", scope, True)
        option_rows = await fetch(
            "SELECT name, value, products FROM catalog_facet_counts WHERE category = {} AND kind = 'option' "
            "AND products > 0 ORDER BY name, value", scope)
    attributes: dict[str, dict] = {}
    for row in attribute_rows:
        entry = attributes.setdefault(row["code"], {"code": row["code"], "name": row["name"], "type": row["type"],
                                                    "values": []})
        entry["values"].append({"value": row["value"], "count": int(row["products"])})
    for entry in attributes.values():
        if entry["type"] == "number":
            entry["values"].sort(key=lambda v: float(v["value"]))
    options: dict[str, dict] = {}
    for row in option_rows:
        options.setdefault(row["name"], {"name": row["name"], "values": []})["values"].append(
            {"value": row["value"], "count": int(row["products"])})
    low, high = (ends[0], ends[-1]) if ends else (None, None)
    return {
        "category": category_slug,
        "price": {"min": money(low["price_min"], low["currency"]), "max": money(high["price_min"], high["currency"])}
        if low else None,
        "attributes": list(attributes.values()),
        "options": list(options.values()),
    }


async def option_names_in_use(names: list[str]) -> set[str]:
    """Which of ``names`` are variant option names some listed product uses."""
    if not names:
        return set()
    return {row["name"] for row in await fetch(
        f"SELECT DISTINCT name FROM catalog_facet_counts WHERE category = {ALL_PRODUCTS} AND kind = 'option' "
        f"AND name IN ({placeholders(names)}) AND products > 0", *names)}
