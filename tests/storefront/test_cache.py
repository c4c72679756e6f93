"""The storefront's short-lived cache of facet counts."""
from __future__ import annotations

import asyncio

import pytest

from engine.storefront.cache import TTLCache
from engine.themes.testing import QueryCounter


async def test_concurrent_misses_share_one_load_and_entries_expire():
    cache = TTLCache(ttl=0.2)
    calls = 0

    async def load():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return calls

    assert await asyncio.gather(*(cache.get("k", load) for _ in range(5))) == [1] * 5
    assert await cache.get("k", load) == 1
    await asyncio.sleep(0.25)
    assert await cache.get("k", load) == 2


async def test_a_failed_load_is_not_cached():
    cache = TTLCache(ttl=10)

    async def broken():
        raise RuntimeError("database away")

    async def fine():
        return "ok"

    with pytest.raises(RuntimeError):
        await cache.get("k", broken)
    assert await cache.get("k", fine) == "ok"


async def test_category_pages_reuse_the_facets(sqlite_shop):
    client = sqlite_shop.test_client()
    sqlite_shop.storefront_cache.clear()
    counts = []
    for _ in range(2):
        await sqlite_shop.theme_state.refresh()
        sqlite_shop.theme_state._read_at += 3600
        with QueryCounter(sqlite_shop.runtime.database.engine) as queries:
            assert (await client.get("/c/clothing?material=linen")).status_code == 200
        counts.append(queries.count)
    assert counts[1] < counts[0]
    facet_sql = [s for s in queries.statements if "GROUP BY" in s]
    assert facet_sql == []
