"""The memory cache is bounded by what its entries really cost in bytes."""
from __future__ import annotations

import gc

import pytest
import tracemalloc

from engine.cache.responses import CachedResponse
from engine.cache.store import ENTRY_OVERHEAD_BYTES, Cache, MemoryStore, entry_size, footprint

GEN = (1, 1, 1, 1)


def _listing(seed: int) -> list[dict]:
    """A catalog read shaped like a page of product summaries."""
    return [{"slug": f"product-{seed}-{i}", "title": f"Product {seed} {i}" * 3,
             "price_from": {"amount": 1000 + i, "currency": "EUR"},
             "images": [{"url": f"/media/{seed}/{i}.jpg", "alt": f"Picture {i} of {seed}"}],
             "attributes": {"material": "cotton", "organic": bool(i % 2)}} for i in range(24)]


def _allocated(build) -> tuple[object, int]:
    """``build()`` and the bytes Python allocated for what it returned."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        value = build()
        return value, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_footprint_counts_what_python_allocates():
    value, allocated = _allocated(lambda: _listing(7))
    measured = footprint(value)
    assert allocated * 0.9 <= measured <= allocated * 1.6, (allocated, measured)
    body = "x" * 100_000
    assert 100_000 <= footprint(body) < 100_100
    shared = "y" * 10_000
    assert footprint([shared, shared, (shared,)]) < 2 * 10_000  # one object counted once
    page = CachedResponse.of(("<p>" + "€" * 50_000 + "</p>").encode(), "text/html", {"Content-Type": "text/html"},
                             {}, "/c")
    assert footprint(page) > 150_000  # the body as sent: three UTF-8 bytes for each "€"


def test_store_accounts_every_byte_and_evicts_least_recently_used_first():
    store = MemoryStore(max_entries=100, max_bytes=1000)
    for key in "abcd":
        store.set(key, key, GEN, ttl=60, size=250)
    assert store.bytes == 1000 and len(store) == 4
    assert store.get("a", GEN) == "a" and store.get("c", GEN) == "c"  # b, then d, are now the oldest
    store.set("e", "e", GEN, ttl=60, size=400)  # needs two places
    assert [key for key, _ in store.items()] == ["a", "c", "e"]
    assert store.bytes == 900
    store.set("c", "C", GEN, ttl=60, size=100)  # replacing an entry gives back its bytes
    assert store.bytes == 750 and [key for key, _ in store.items()] == ["a", "e", "c"]
    assert store.get("a", (2, 1, 1, 1)) is None  # stale: dropped, and its bytes with it
    assert store.bytes == 500
    store.set("huge", "h", GEN, ttl=60, size=1001)  # larger than the budget: never kept
    assert store.get("huge", GEN) is None and store.bytes == 500
    store.clear()
    assert store.bytes == 0 and len(store) == 0


async def test_cache_keeps_catalog_reads_within_the_byte_budget():
    budget = 200_000
    cache = Cache(MemoryStore(max_entries=10_000, max_bytes=budget))
    one = entry_size(("listing", 0), _listing(0))
    assert one > 10_000  # a page of summaries is far more than a nominal few kB
    for seed in range(100):
        value = _listing(seed)
        assert await cache.get_or_load("listing", seed, ("catalog",), GEN, lambda value=value: _load(value)) == value
    held = cache.memory.items()
    assert cache.memory.bytes <= budget
    assert cache.memory.bytes == sum(entry_size(key, value) for key, value in held)
    assert len(held) == budget // one or len(held) == budget // one - 1
    assert [key[1] for key, _ in held] == list(range(100 - len(held), 100))  # the newest stayed
    assert one >= footprint(_listing(0)) + ENTRY_OVERHEAD_BYTES


async def _load(value):
    return value


# A heap fragmented as a cache's turnover leaves it: pages of 40 kB freed
# between small blocks that stay (both above pymalloc's 512 bytes, so both
# come from the C library's heap); the RSS it holds, then after the release.
_FRAGMENTED = """
import sys, psutil
from engine.cache.memory import release_free_memory
rss = lambda: psutil.Process().memory_info().rss
pages, kept = [], []
for i in range(2000):
    pages.append(b"p" * 40_000 + bytes([i % 256]))
    kept.append(b"k" * 600 + bytes([i % 256]))
del pages
held = rss()
released = release_free_memory()
print(held, rss(), released)
"""


def test_the_memory_a_caches_turnover_frees_goes_back_to_the_system():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FRAGMENTED], capture_output=True, text=True, check=True)
    held, after, released = done.stdout.split()
    if released == "False":
        pytest.skip("no malloc_trim in this C library (not glibc): nothing to release")
    assert int(held) - int(after) > 40 * 2**20, done.stdout  # of the 80 MB the pages took


async def test_a_worker_trims_its_memory_on_the_interval_it_is_given(make_app, sqlite_url):
    app = await make_app(database_url=sqlite_url, cache={"trim_interval_seconds": 30.0})
    names = {task.get_name() for task in app.runtime._tasks}
    assert "shopwright-memory-trim" in names
    off = await make_app(database_url=sqlite_url, cache={"trim_interval_seconds": 0})
    assert "shopwright-memory-trim" not in {task.get_name() for task in off.runtime._tasks}
