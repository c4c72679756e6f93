"""Catalog reads cost a fixed number of statements, whatever the data size."""
from __future__ import annotations

from engine.catalog import services
from engine.protocols import SearchQuery
from engine.testing.themes import count_queries


async def test_read_services_use_bounded_queries(catalog_app):
    runtime = catalog_app.runtime
    engine = runtime.database.engine
    with count_queries(engine) as queries:
        await services.get_product("oxford-shirt")
    assert queries.count == 5, queries.statements
    with count_queries(engine) as queries:
        await services.category_tree()
    assert queries.count == 1
    with count_queries(engine) as queries:
        items, _ = await services.search_products(runtime, SearchQuery(
            text="shirt", category="clothing", filters={"material": ["cotton", "wool"], "size": "M", "in_stock": True},
            sort="price_asc"))
    # the category, attribute definitions and option names in one; on PostgreSQL
    # the filters' keys and the category's counts; the page with its summaries
    assert queries.count == (3 if runtime.database.dialect == "postgres" else 2), queries.statements
    assert items
    with count_queries(engine) as queries:
        await services.facets("clothing")
    assert queries.count == 4, queries.statements
    with count_queries(engine) as queries:
        await services.featured_products(8)
    assert queries.count <= 3


async def test_listing_queries_do_not_grow_with_page_size(catalog_app):
    runtime = catalog_app.runtime
    counts = []
    for limit in (1, 7):
        with count_queries(runtime.database.engine) as queries:
            items, _ = await services.search_products(runtime, SearchQuery(limit=limit, sort="newest"))
        counts.append(queries.count)
        assert len(items) == limit
    assert counts[0] == counts[1] == 1  # the page with its summaries
