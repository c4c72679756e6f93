from __future__ import annotations

from dataclasses import replace

import pytest

from engine.errors import InvalidCursor, InvalidQuery
from engine.catalog import services
from engine.catalog.services import search_products
from engine.protocols import SearchQuery

INJECTIONS = [
    "'; DROP TABLE catalog_products; --",
    "\" OR 1=1 --",
    "shirt' OR '1'='1",
    "NEAR(a b) AND OR NOT *",
    "title:shirt",
    "\"unbalanced",
    "(((",
    "%_%",
    "\\x00",
    "shirt\x00",
    "ü' ∅ 🙂 & | ! : * ^ $1 ? {}",
    "-shirt",
    "!!!",
    "a" * 200,
]


async def slugs(runtime, **kwargs):
    items, cursor = await search_products(runtime, SearchQuery(**kwargs))
    return [item["slug"] for item in items], cursor


async def test_text_search_finds_and_ranks(catalog_app):
    runtime = catalog_app.runtime
    found, _ = await slugs(runtime, text="linen")
    assert set(found) == {"linen-shirt", "tea-towel"}
    assert found[0] == "linen-shirt"  # title and description both match
    found, _ = await slugs(runtime, text="shirts")  # stemming
    assert set(found) == {"oxford-shirt", "linen-shirt", "flannel-shirt"}  # the draft is never listed
    found, _ = await slugs(runtime, text="trous")  # prefix of the last word
    assert set(found) == {"chinos", "wool-trousers"}
    found, _ = await slugs(runtime, text="wool trousers")
    assert found == ["wool-trousers"]
    found, _ = await slugs(runtime, text="nothing-like-this")
    assert found == []


@pytest.mark.parametrize("text", INJECTIONS)
async def test_hostile_text_gives_normal_results(catalog_app, text):
    items, cursor = await search_products(catalog_app.runtime, SearchQuery(text=text))
    assert isinstance(items, list)
    assert cursor is None
    # the catalog is intact afterwards
    found, _ = await slugs(catalog_app.runtime, text="shirt")
    assert len(found) == 3


async def test_category_includes_descendants(catalog_app):
    found, _ = await slugs(catalog_app.runtime, category="shirts", sort="price_asc")
    assert found == ["oxford-shirt", "flannel-shirt", "linen-shirt"]
    found, _ = await slugs(catalog_app.runtime, category="clothing")
    assert len(found) == 5
    found, _ = await slugs(catalog_app.runtime, category="no-such-category")
    assert found == []


async def test_filters(catalog_app):
    runtime = catalog_app.runtime
    found, _ = await slugs(runtime, filters={"material": "linen"}, sort="price_asc")
    assert found == ["tea-towel", "linen-shirt"]
    found, _ = await slugs(runtime, filters={"material": ["linen", "wool"], "organic": "yes"}, sort="price_asc")
    assert found == ["tea-towel", "linen-shirt", "wool-trousers"]
    found, _ = await slugs(runtime, filters={"min_price": 4000, "max_price": 7000}, sort="price_asc")
    assert found == ["flannel-shirt", "linen-shirt", "chinos"]
    found, _ = await slugs(runtime, filters={"in_stock": True}, category="shirts", sort="price_asc")
    assert found == ["oxford-shirt", "flannel-shirt"]
    found, _ = await slugs(runtime, filters={"size": "M"})
    assert len(found) == 7
    found, _ = await slugs(runtime, filters={"colour": "Green"})
    assert found == []
    found, _ = await slugs(runtime, filters={"utm_source": "mail"})  # not an attribute or option: ignored
    assert len(found) == 7
    found, _ = await slugs(runtime, text="shirt", filters={"material": "wool"})
    assert found == ["flannel-shirt"]


async def test_sorts(catalog_app):
    runtime = catalog_app.runtime
    asc, _ = await slugs(runtime, sort="price_asc")
    desc, _ = await slugs(runtime, sort="price_desc")
    assert asc[0] == "tea-towel" and asc[-1] == "wool-trousers"
    assert desc == list(reversed(asc))
    newest, _ = await slugs(runtime, sort="newest")
    assert newest[0] == "duvet-cover" and newest[-1] == "oxford-shirt"
    relevance_without_text, _ = await slugs(runtime, sort="relevance")
    assert relevance_without_text == newest


@pytest.mark.parametrize("sort,text", [("price_asc", ""), ("price_desc", ""), ("newest", ""),
                                       ("relevance", "shirt"), ("price_asc", "linen")])
async def test_cursor_pages_cover_everything_once(catalog_app, sort, text):
    runtime = catalog_app.runtime
    whole, cursor = await slugs(runtime, sort=sort, text=text, limit=100)
    assert cursor is None
    pages, cursor = [], None
    while True:
        page, cursor = await slugs(runtime, sort=sort, text=text, limit=2, cursor=cursor)
        pages.extend(page)
        if cursor is None:
            break
    assert pages == whole


async def test_bad_queries(catalog_app):
    runtime = catalog_app.runtime
    with pytest.raises(InvalidQuery) as info:
        await search_products(runtime, SearchQuery(sort="cheapest"))
    assert "sort" in info.value.errors
    with pytest.raises(InvalidQuery):
        await search_products(runtime, SearchQuery(limit=0))
    with pytest.raises(InvalidQuery):
        await search_products(runtime, SearchQuery(filters={"min_price": "12.50"}))
    with pytest.raises(InvalidQuery):
        await search_products(runtime, SearchQuery(filters={"min_price": 10, "max_price": 5}))
    with pytest.raises(InvalidQuery):
        await search_products(runtime, SearchQuery(filters={"organic": "maybe"}))
    with pytest.raises(InvalidCursor):
        await search_products(runtime, SearchQuery(cursor="not a cursor"))
    _, cursor = await slugs(runtime, sort="price_asc", limit=1)
    with pytest.raises(InvalidCursor):
        await search_products(runtime, SearchQuery(sort="newest", cursor=cursor))


async def test_hook_catalog_search_backend(make_app, sqlite_url, build_catalog):
    from engine import PluginManifest, hookimpl
    from engine.protocols import SearchResult

    class FixedBackend:
        id = "fixed"

        async def search(self, query):
            from engine.catalog.tables import Product

            rows = await Product.select(Product.id).where(Product.slug == "tea-towel").run()
            return SearchResult(product_ids=[r["id"] for r in rows], next_cursor="next")

        async def reindex(self, product_ids=None):
            return None

    class FixedSearchPlugin:
        MANIFEST = PluginManifest(name="fixed_search", title="Fixed search")

        @staticmethod
        @hookimpl
        def catalog_search_backend(database):
            return FixedBackend()

    app = await make_app(plugins=[FixedSearchPlugin], database_url=sqlite_url)
    await build_catalog(app.runtime)
    items, cursor = await search_products(app.runtime, SearchQuery(text="shirt"))
    assert [i["slug"] for i in items] == ["tea-towel"] and cursor == "next"


async def every_page(runtime, query: SearchQuery) -> list[str]:
    """The slugs of every page of ``query``, following the cursors."""
    slugs, cursor = [], None
    while True:
        items, cursor = await services.search_products(runtime, replace(query, cursor=cursor))
        slugs += [item["slug"] for item in items]
        if cursor is None:
            return slugs


async def test_relevance_ranks_only_the_newest_candidates(make_app, database_url):
    """The best match, older than the newest RELEVANCE_CANDIDATES matches, is
    left out of the relevance order and still reached newest first."""
    from engine.catalog.importer import import_source, records_source
    from engine.catalog.search import RELEVANCE_CANDIDATES

    app = await make_app(database_url=database_url)
    runtime = app.runtime
    best = {"product_slug": "wool-wool-wool", "title": "Wool wool wool", "description": "Wool, wool and wool.",
            "status": "published", "sku": "WWW", "price": "10.00"}
    others = [{"product_slug": f"jumper-{i}", "title": f"Jumper {i}", "description": "Soft wool.",
               "status": "published", "sku": f"J-{i}", "price": "10.00"} for i in range(RELEVANCE_CANDIDATES)]
    report = await import_source(runtime, records_source([best, *others]))
    assert report.written, report
    first, _ = await services.search_products(runtime, SearchQuery(text="wool", sort="relevance", limit=5))
    assert first and "wool-wool-wool" not in [item["slug"] for item in first]
    seen = await every_page(runtime, SearchQuery(text="wool", sort="relevance", limit=100))
    assert len(seen) == RELEVANCE_CANDIDATES and "wool-wool-wool" not in seen
    newest = await every_page(runtime, SearchQuery(text="wool", sort="newest", limit=100))
    assert newest[-1] == "wool-wool-wool" and len(newest) == RELEVANCE_CANDIDATES + 1
    # below the bound, the best match comes first
    await services.save_product(runtime, {"slug": "wool-wool-wool", "title": "Wool wool wool", "status": "draft",
                                          "variants": [{"sku": "WWW", "price_amount": 1000}]})
    await services.save_product(runtime, {"slug": "more-wool", "title": "Wool wool wool wool",
                                          "description": "Wool, wool and wool.", "status": "published",
                                          "variants": [{"sku": "MW", "price_amount": 1000}]})
    first, _ = await services.search_products(runtime, SearchQuery(text="wool", sort="relevance", limit=5))
    assert first[0]["slug"] == "more-wool"
