"""A small per-process cache for storefront reads that are costly and change
rarely (the facet counts of a category's filter form).

Entries live ``ttl`` seconds; concurrent misses of one key share a single
load. A cached value may be up to ``ttl`` seconds old: facet counts are a
hint, the product list itself is always read fresh.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Hashable

FACETS_TTL_SECONDS = 30.0


class TTLCache:
    def __init__(self, ttl: float, max_entries: int = 2000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._loading: dict[Hashable, asyncio.Future] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            self._loading.pop(key, None)
        if len(self._values) >= self.max_entries:
            self._values.clear()
        self._values[key] = (time.monotonic() + self.ttl, value)
        future.set_result(value)
        return value

    def clear(self) -> None:
        self._values.clear()
