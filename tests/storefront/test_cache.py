"""The per-process cache behind the storefront's catalog reads."""
from __future__ import annotations

import asyncio

import pytest

from engine.cache.store import Cache, MemoryStore
from engine.testing.themes import QueryCounter

GEN = (1, 1, 1, 1)  # catalog, stock, site, plugins


def _cache() -> Cache:
    return Cache(MemoryStore(max_entries=100, max_bytes=1 << 20))


async def test_concurrent_misses_share_one_load_and_a_change_reloads():
    cache = _cache()
    calls = 0

    async def load():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return {"n": calls}

    values = await asyncio.gather(*(cache.get_or_load("k", "a", ("catalog",), GEN, load) for _ in range(5)))
    assert values == [{"n": 1}] * 5
    assert await cache.get_or_load("k", "a", ("catalog",), GEN, load) == {"n": 1}
    # another scope moved: the entry (catalog only) still holds
    assert await cache.get_or_load("k", "a", ("catalog",), (1, 9, 9, 9), load) == {"n": 1}
    # the catalog moved: reloaded
    assert await cache.get_or_load("k", "a", ("catalog",), (2, 1, 1, 1), load) == {"n": 2}


async def test_a_failed_load_is_not_cached():
    cache = _cache()

    async def broken():
        raise RuntimeError("database away")

    async def fine():
        return "ok"

    with pytest.raises(RuntimeError):
        await cache.get_or_load("k", "a", ("catalog",), GEN, broken)
    assert await cache.get_or_load("k", "a", ("catalog",), GEN, fine) == "ok"


def test_memory_store_is_bounded_least_recently_used_first():
    store = MemoryStore(max_entries=3, max_bytes=1000)
    for key in "abc":
        store.set(key, key.upper(), (1,), ttl=60, size=100)
    assert store.get("a", (1,)) == "A"  # a is now the most recent
    store.set("d", "D", (1,), ttl=60, size=100)
    assert store.get("b", (1,)) is None and store.get("a", (1,)) == "A" and len(store) == 3
    store.set("big", "X", (1,), ttl=60, size=900)  # pushes out by bytes
    assert store.bytes <= 1000 and store.get("big", (1,)) == "X"
    store.set("huge", "Y", (1,), ttl=60, size=5000)  # larger than the store: never kept
    assert store.get("huge", (1,)) is None
    assert store.get("big", (2,)) is None  # other counters: a miss (and dropped)
    assert store.get("big", (1,)) is None


async def test_category_pages_reuse_the_facets(sqlite_shop):
    client = sqlite_shop.test_client()
    sqlite_shop.storefront_cache.clear()
    counts = []
    for path in ("/c/clothing?material=linen", "/c/clothing?material=linen&sort=price_asc"):
        await sqlite_shop.theme_state.refresh()
        sqlite_shop.theme_state._read_at += 3600
        with QueryCounter(sqlite_shop.runtime.database.engine) as queries:
            assert (await client.get(path)).status_code == 200
        counts.append(queries.count)
    assert counts[1] < counts[0]
    facet_sql = [s for s in queries.statements if "GROUP BY" in s]
    assert facet_sql == []


async def test_a_filtered_page_of_a_known_category_runs_only_its_listing(shop):
    """What a filtered listing must know of its category (its id, the
    attribute definitions, the option names in use and, on PostgreSQL, its
    facet counts and key ids) is kept under the catalog counter: another
    filtered page of that category reads its listing (with the summaries of
    its products), nothing else."""
    client = shop.test_client()
    assert (await client.get("/c/clothing?material=linen")).status_code == 200
    await shop.theme_state.refresh()
    shop.theme_state._read_at += 3600
    with QueryCounter(shop.runtime.database.engine) as queries:
        page = await client.get("/c/clothing?material=cotton&size=M&sort=price_desc")
    assert page.status_code == 200 and page.headers["X-Cache"] == "miss"
    assert "Oxford" in await page.get_data(as_text=True)
    assert queries.count == 1, queries.statements
    assert "catalog_listing" in queries.statements[0] and "catalog_products p" in queries.statements[0]


async def test_filters_follow_a_new_attribute_and_a_new_option_value(shop):
    """The kept search facts are dropped with the catalog counter: a filter
    on an attribute created after the first filtered request applies (before,
    the unknown name was ignored), and so does a colour first used later."""
    from engine.catalog import services as catalog

    client = shop.test_client()

    async def slugs(query: str) -> list[str]:
        response = await client.get(f"/api/v1/products?category=clothing&{query}")
        assert response.status_code == 200, await response.get_data(as_text=True)
        return sorted(item["slug"] for item in (await response.get_json())["items"])

    tee = {"slug": "striped-tee", "title": "Striped tee", "status": "published", "categories": ["shirts"],
           "variants": [{"sku": "STRIPED-TEE-T", "options": {"colour": "Grey"},
                         "price": {"amount": 1500, "currency": "EUR"}}]}
    await catalog.save_product(shop.runtime, tee)
    everything = await slugs("pattern=striped")
    assert len(everything) > 1  # no such attribute yet: the filter is ignored
    assert await slugs("colour=Teal") == []
    stock_before = await shop.change_counters.current()
    await catalog.save_attribute(shop.runtime, {"code": "pattern", "name": "Pattern", "type": "text"})
    tee["attributes"] = {"pattern": "striped"}
    tee["variants"][0]["options"] = {"colour": "Teal"}
    await catalog.save_product(shop.runtime, tee)
    assert await slugs("pattern=striped") == ["striped-tee"]
    assert await slugs("colour=Teal") == ["striped-tee"]
    # only the catalog counter moved: nothing else dropped the kept facts
    assert (await shop.change_counters.current())[1:] == stock_before[1:]


async def test_a_listing_kept_with_its_page_is_not_kept_again_as_data(sqlite_shop):
    """An anonymous filtered page is kept whole by the response cache, so its
    listing is not also kept as data (twice the memory per page); a page the
    response cache cannot keep (here: not anonymous) keeps its listing."""
    client = sqlite_shop.test_client()
    sqlite_shop.cache.clear()

    def kinds() -> list[str]:
        return [key[0] for key, _ in sqlite_shop.cache.memory.items()]

    assert (await client.get("/c/clothing?material=linen")).headers["X-Cache"] == "miss"
    assert "response" in kinds() and "search" not in kinds()
    page = await client.get("/c/clothing?material=wool", headers={"Authorization": "Bearer not-a-shopper"})
    assert page.status_code == 200 and "X-Cache" not in page.headers
    assert kinds().count("search") == 1
