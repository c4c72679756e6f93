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
