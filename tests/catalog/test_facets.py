"""Facets and the listing index stay right after every kind of catalog write.

Each case makes one write through a service, then compares, for the whole
catalog and for every category, what :func:`engine.catalog.facets.facets`
and a newest-first listing return with what a plain reading of the catalog's
own tables says (the reference below, which knows nothing of the derived
tables).
"""
from __future__ import annotations

import importlib
import json
from collections import Counter
from decimal import Decimal

import pytest

from engine.catalog import bulk_edit, facets, manage, services
from engine.catalog.categories import descendant_ids
from engine.catalog.importer import import_source, records_source
from engine.db.sql import dialect, fetch, placeholders
from engine.protocols import SearchQuery


async def variant_options() -> dict[int, set[tuple[str, str]]]:
    """Each product's option values, read from its variants' JSON here."""
    used: dict[int, set[tuple[str, str]]] = {}
    for row in await fetch("SELECT product, options FROM catalog_variants"):
        used.setdefault(row["product"], set()).update(json.loads(row["options"] or "{}").items())
    return used


async def reference(slug: str | None) -> dict:
    """Facets of ``slug`` computed from the source tables alone."""
    products = await fetch("SELECT id, price_min FROM catalog_products WHERE status = 'published' "
                           "AND price_min IS NOT NULL")
    listed = {row["id"]: row["price_min"] for row in products}
    if slug is not None:
        ids = await descendant_ids(slug)
        members = {row["product"] for row in await fetch(
            f"SELECT product FROM catalog_product_categories WHERE category IN ({placeholders(ids)})", *ids)}
        listed = {pid: price for pid, price in listed.items() if pid in members}
    attributes: dict[str, Counter] = {}
    for row in await fetch("SELECT av.product, a.code, av.value FROM catalog_product_attribute_values av "
                           "JOIN catalog_attributes a ON a.id = av.attribute WHERE a.filterable = {}", True):
        if row["product"] in listed:
            attributes.setdefault(row["code"], Counter())[row["value"]] += 1
    options: dict[str, Counter] = {}
    for product, pairs in (await variant_options()).items():
        if product in listed:
            for name, value in pairs:
                options.setdefault(name, Counter())[value] += 1
    prices = list(listed.values())
    return {"products": sorted(listed, reverse=True),
            "price": (min(prices), max(prices)) if prices else None,
            "attributes": {code: dict(counts) for code, counts in attributes.items()},
            "options": {name: dict(counts) for name, counts in options.items()}}


async def derived(runtime, slug: str | None) -> dict:
    """The same, read through the facet service and the listing."""
    found = await facets.facets(slug)
    ids, cursor = [], None
    while True:
        items, cursor = await services.search_products(runtime, SearchQuery(category=slug, sort="newest",
                                                                            cursor=cursor, limit=100))
        ids += [item["id"] for item in items]
        if cursor is None:
            break
    price = found["price"]
    return {"products": ids,
            "price": (price["min"]["amount"], price["max"]["amount"]) if price else None,
            "attributes": {a["code"]: {v["value"]: v["count"] for v in a["values"]} for a in found["attributes"]},
            "options": {o["name"]: {v["value"]: v["count"] for v in o["values"]} for o in found["options"]}}


async def listed_count(slug: str | None) -> int:
    """The ``listed`` count row of a category (0 when there is none)."""
    category = 0 if slug is None else await facets.category_id(slug)
    rows = await fetch("SELECT products FROM catalog_facet_counts WHERE category = {} AND kind = 'listed'", category)
    return sum(row["products"] for row in rows)


async def assert_keys_consistent() -> None:
    """PostgreSQL: each listing row's ``keys`` are its product's facet values,
    scoped to the row's category."""
    if dialect() != "postgres":
        return
    numbers = {(row["kind"], row["name"], row["value"]): row["id"]
               for row in await fetch("SELECT id, kind, name, value FROM catalog_facet_keys")}
    values: dict[int, set] = {}
    for row in await fetch("SELECT product, kind, name, value FROM catalog_product_facets"):
        values.setdefault(row["product"], set()).add(numbers[(row["kind"], row["name"], row["value"])])
    for row in await fetch("SELECT category, product, facet_ids, keys FROM catalog_listing"):
        ids = sorted(values.get(row["product"], ()))
        assert row["facet_ids"] == ids, row
        assert row["keys"] == [facets.scoped_key(row["category"], key) for key in ids], row


async def assert_consistent(runtime) -> dict:
    """Derived and reference views agree for the catalog and every category;
    returns the derived views by category slug."""
    slugs = [row["slug"] for row in await fetch("SELECT slug FROM catalog_categories")]
    views = {}
    for slug in [None, *slugs]:
        views[slug] = await derived(runtime, slug)
        expected = await reference(slug)
        assert views[slug] == expected, slug
        assert await listed_count(slug) == len(expected["products"]), slug
    await assert_keys_consistent()
    return views


async def ids_of(*slugs: str) -> list[int]:
    rows = await fetch(f"SELECT id FROM catalog_products WHERE slug IN ({placeholders(slugs)})", *slugs)
    return [row["id"] for row in rows]


# ------------------------------------------------------------------ the writes
async def create_published(runtime):
    await services.save_product(runtime, {
        "slug": "polo", "title": "Polo", "status": "published", "categories": ["linen-shirts", "home"],
        "attributes": {"material": "linen", "thread_count": 200},
        "variants": [{"sku": "POLO-1", "options": {"colour": "Green"}, "price_amount": 100_000}]})


async def change_attributes_options_categories(runtime):
    product = await manage.editable_product("chinos")
    await manage.update_product(runtime, "chinos", {
        "categories": ["home"], "attributes": {"material": "wool", "organic": True},
        "variants": [{**product["variants"][0], "options": {"size": "XL", "colour": "Black"}}]})


async def unpublish_by_save(runtime):
    await manage.update_product(runtime, "oxford-shirt", {"status": "draft"})


async def publish_in_bulk(runtime):
    await bulk_edit.set_status(runtime, await ids_of("secret-draft"), "published")


async def unpublish_in_bulk(runtime):
    await bulk_edit.set_status(runtime, await ids_of("tea-towel", "flannel-shirt"), "draft")


async def change_prices_in_bulk(runtime):
    await bulk_edit.change_prices(runtime, await ids_of("tea-towel", "wool-trousers"), percent=Decimal("50"))


async def add_to_category_in_bulk(runtime):
    await bulk_edit.add_to_category(runtime, await ids_of("tea-towel", "chinos"), "linen-shirts")


async def delete_product(runtime):
    await manage.delete_product(runtime, "flannel-shirt")


async def delete_variant(runtime):
    await manage.delete_variant(runtime, "LINEN-SHIRT-M")


async def change_variant_options(runtime):
    await manage.update_variant(runtime, "DUVET-COVER-S", {"options": {"size": "S", "colour": "Yellow"}})


async def move_category(runtime):
    await manage.update_category(runtime, "shirts", {"parent": "home"})


async def make_category_a_root(runtime):
    await manage.update_category(runtime, "linen-shirts", {"parent": None})


async def delete_category(runtime):
    await manage.delete_category(runtime, "shirts")


async def add_category(runtime):
    await services.save_category(runtime, {"slug": "socks", "name": "Socks", "parent": "clothing"})


async def hide_attribute(runtime):
    await services.save_attribute(runtime, {"code": "organic", "name": "Organic", "type": "boolean",
                                            "filterable": False})


async def import_products(runtime):
    rows = [{"product_slug": "imported-scarf", "title": "Imported scarf", "status": "published",
             "categories": ["home", "trousers"], "attributes": {"material": "wool"},
             "sku": f"SCARF-{colour}", "options": {"colour": colour}, "price": "12.00"}
            for colour in ("Red", "Grey")]
    rows.append({"product_slug": "chinos", "title": "Slim chinos", "status": "draft", "categories": ["trousers"],
                 "sku": "CHINOS-S", "options": {"size": "S", "colour": "Blue"}, "price": "69.00"})
    report = await import_source(runtime, records_source(rows))
    assert report.written, report


async def import_many_products(runtime):
    """An import past the refresh-per-batch limit (lowered here): the derived
    rows are rebuilt once at its end, and the caches hear of it."""
    from engine.catalog import import_batches

    counters_before = await fetch("SELECT SUM(value) AS n FROM cache_generations WHERE scope = 'catalog'")
    limit, import_batches.REBUILD_AFTER_PRODUCTS = import_batches.REBUILD_AFTER_PRODUCTS, 2
    try:
        rows = [{"product_slug": f"bulk-{n}", "title": f"Bulk tee {n}", "status": "published",
                 "categories": ["trousers"], "attributes": {"material": "linen" if n % 2 else "wool"},
                 "sku": f"BULK-{n}", "options": {"colour": "Red" if n % 3 else "Grey"}, "price": f"{10 + n}.00"}
                for n in range(7)]
        report = await import_source(runtime, records_source(rows), batch_size=2)
    finally:
        import_batches.REBUILD_AFTER_PRODUCTS = limit
    assert report.written and report.batches == 4, report
    counters_after = await fetch("SELECT SUM(value) AS n FROM cache_generations WHERE scope = 'catalog'")
    assert counters_after[0]["n"] > counters_before[0]["n"]


WRITES = [create_published, change_attributes_options_categories, unpublish_by_save, publish_in_bulk,
          unpublish_in_bulk, change_prices_in_bulk, add_to_category_in_bulk, delete_product, delete_variant,
          change_variant_options, move_category, make_category_a_root, delete_category, add_category,
          hide_attribute, import_products, import_many_products]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__ for w in WRITES])
async def test_facets_and_listing_follow_the_write(catalog_app, write):
    runtime = catalog_app.runtime
    before = await assert_consistent(runtime)
    await write(runtime)
    assert await assert_consistent(runtime) != before


async def test_refresh_is_idempotent_and_rebuild_matches(catalog_app, monkeypatch):
    runtime = catalog_app.runtime
    monkeypatch.setattr(facets, "REBUILD_RANGE", 2)   # the rebuild in many id ranges
    counts = "SELECT category, kind, name, value, products FROM catalog_facet_counts WHERE products > 0 " \
             "ORDER BY category, kind, name, value"
    listing = "SELECT category, product, price_min, sort_name FROM catalog_listing ORDER BY category, product"
    kept = (await fetch(counts), await fetch(listing))
    ids = [row["id"] for row in await fetch("SELECT id FROM catalog_products")]
    async with runtime.database.transaction():
        await facets.refresh_products(ids)
        await facets.refresh_products(ids[:3])
    assert (await fetch(counts), await fetch(listing)) == kept
    async with runtime.database.transaction():
        await facets.rebuild_all()
    assert (await fetch(counts), await fetch(listing)) == kept


async def test_name_sort_pages_through_every_product(catalog_app):
    runtime = catalog_app.runtime
    titles, cursor = [], None
    while True:
        items, cursor = await services.search_products(runtime, SearchQuery(sort="name_asc", cursor=cursor, limit=2))
        titles += [item["title"] for item in items]
        if cursor is None:
            break
    expected = [row["title"] for row in await fetch(
        "SELECT title FROM catalog_products WHERE status = 'published' AND price_min IS NOT NULL")]
    assert titles == sorted(expected, key=str.lower)


async def test_the_migration_backfills_an_existing_catalog(catalog_app):
    backfill = [*importlib.import_module("engine.catalog.migrations.catalog_2026_12_06t21_43_13_000000").BACKFILL]
    backfill += [statement for statement in importlib.import_module(
        "engine.catalog.migrations.catalog_2026_12_07t01_30_50_000000").statements(dialect())
        if not statement.startswith("CREATE")]
    tables = ("catalog_facet_counts", "catalog_listing", "catalog_product_facets", "catalog_category_closure",
              "catalog_facet_keys")
    counts = "SELECT category, kind, name, value, products FROM catalog_facet_counts WHERE products > 0 " \
             "ORDER BY category, kind, name, value"
    listing = "SELECT category, product, price_min, sort_name FROM catalog_listing ORDER BY category, product"
    kept = (await fetch(counts), await fetch(listing))
    async with catalog_app.runtime.database.transaction():
        # The backfill read the option values from a table dropped since
        # (catalog 2026-12-07T16:30); a view gives it the rows it held.
        await fetch("CREATE TEMPORARY VIEW catalog_product_option_values AS SELECT DISTINCT v.product, "
                    f"o.key AS name, CAST(o.value AS TEXT) AS value FROM {facets.variant_options()}")
        for table in tables:
            await fetch(f"DELETE FROM {table}")
        for statement in backfill:
            await fetch(statement)
        await fetch("DROP VIEW catalog_product_option_values")
    assert (await fetch(counts), await fetch(listing)) == kept
    await assert_consistent(catalog_app.runtime)


# ------------------------------------------------------------------ filtered listings
async def filtered_reference(slug: str | None, filters: dict[str, list[str]]) -> list[int]:
    """Ids of the listed products in ``slug`` with every filter (any of its
    values), price order, from the source tables alone."""
    products = (await reference(slug))["products"]
    options = await variant_options()
    for name, values in filters.items():
        rows = await fetch(
            "SELECT av.product FROM catalog_product_attribute_values av JOIN catalog_attributes a "
            f"ON a.id = av.attribute WHERE a.code = {{}} AND av.value IN ({placeholders(values)})", name, *values)
        having = {row["product"] for row in rows}
        having |= {product for product, pairs in options.items() if any((name, v) in pairs for v in values)}
        products = [product for product in products if product in having]
    prices = {row["id"]: row["price_min"] for row in await fetch("SELECT id, price_min FROM catalog_products")}
    return sorted(products, key=lambda product: (prices[product], product))


def filter_cases(found: dict) -> list[dict[str, list[str]]]:
    """Single values, pairs of values of two names, and two values of one name."""
    values = [(a["code"], str(v["value"])) for a in found["attributes"] for v in a["values"]]
    values += [(o["name"], str(v["value"])) for o in found["options"] for v in o["values"]]
    cases = [{name: [value]} for name, value in values]
    cases += [{a: [x], b: [y]} for a, x in values for b, y in values if a < b][:12]
    for facet in found["attributes"] + found["options"]:
        if len(facet["values"]) > 1:
            cases.append({facet.get("code") or facet["name"]: [str(v["value"]) for v in facet["values"][:2]]})
    cases.append({"colour": ["Ultraviolet"]})   # a value no product has
    return cases


@pytest.mark.parametrize("walk_rows", [0, 10**9], ids=["driven by the filters' keys", "walking the sort index"])
async def test_filtered_listings_match_the_catalog_either_way(catalog_app, monkeypatch, walk_rows):
    """On PostgreSQL a filtered page is driven from the GIN index of the keys
    or walks the category's sort index by the facet counts' estimate; both
    give the same pages (SQLite always walks)."""
    from engine.catalog import search

    monkeypatch.setattr(search, "WALK_ROWS", walk_rows)
    runtime = catalog_app.runtime
    await change_attributes_options_categories(runtime)   # keys follow a write
    slugs = [row["slug"] for row in await fetch("SELECT slug FROM catalog_categories")]
    for slug in [None, *slugs]:
        for filters in filter_cases(await facets.facets(slug)):
            ids, cursor = [], None
            while True:
                items, cursor = await services.search_products(runtime, SearchQuery(
                    category=slug, filters=filters, sort="price_asc", cursor=cursor, limit=2))
                ids += [item["id"] for item in items]
                if cursor is None:
                    break
            assert ids == await filtered_reference(slug, filters), (slug, filters)


async def test_the_category_counts_choose_the_plan(catalog_app, monkeypatch):
    """PostgreSQL drives a page from the keys when the category's counts say a
    walk would pass more than WALK_ROWS rows, and walks otherwise; SQLite
    always walks, probing the facet rows."""
    from engine.catalog import search
    from engine.testing.themes import count_queries

    monkeypatch.setattr(search, "WALK_ROWS", 10)
    runtime = catalog_app.runtime

    async def listing_statement(filters: dict) -> tuple[str, list[int]]:
        with count_queries(runtime.database.engine) as queries:
            items, _ = await services.search_products(runtime, SearchQuery(
                category="clothing", filters=filters, sort="price_asc", limit=2))
        statement = next(sql for sql in queries.statements if "catalog_listing l" in sql)
        return statement, [item["id"] for item in items]

    # clothing lists 5 products: one of linen (a walk would pass 3 × 5 / 1 = 15
    # rows), all of size S (3 × 5 / 5 = 3 rows)
    selective, selective_ids = await listing_statement({"material": ["linen"]})
    broad, broad_ids = await listing_statement({"size": ["S"]})
    assert selective_ids == (await filtered_reference("clothing", {"material": ["linen"]}))[:2]
    assert broad_ids == (await filtered_reference("clothing", {"size": ["S"]}))[:2]
    if dialect() == "postgres":
        assert "MATERIALIZED" in selective and "l.keys @>" in selective
        assert "MATERIALIZED" not in broad and "l.facet_ids @>" in broad
    else:
        assert "catalog_product_facets" in selective and "MATERIALIZED" not in selective
        assert "catalog_product_facets" in broad
