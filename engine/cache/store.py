"""Where cached values live: in the process (always), and in Redis when
``cache.backend = "redis"``.

Every entry carries the counter values of the scopes it depends on (see
:mod:`engine.cache.counters`); a lookup with other values is a miss, so an
entry is never served after a change to what it was made from. Entries also
expire after a TTL (a safety net for changes no counter sees). In Redis the
counter values are part of the key, so stale entries are unreachable and
expire on their own; values are JSON (never pickle).

The memory store is bounded by bytes (``[cache] max_memory_mb``): what an
entry costs is measured (:func:`footprint`: the key, the value and every
object it holds, as Python keeps them), so a worker's memory stays within the
budget whatever mix of pages and catalog reads the traffic makes; the least
recently used entries go first.

:meth:`Cache.get_or_load` lets concurrent misses of one key share one load.
"""
from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Hashable

import orjson
import structlog

from engine.cache.counters import Generation, scope_values

log = structlog.get_logger("shopwright.cache")

#: what the store spends on an entry besides its key and value: the
#: ``Entry``, its ``deps`` tuple and its slot in the ordered map
ENTRY_OVERHEAD_BYTES = 240


@dataclass
class Entry:
    value: Any
    deps: tuple[int, ...]
    expires: float
    size: int


class MemoryStore:
    """A least-recently-used map bounded by entry count and bytes.

    ``size`` given to :meth:`set` is what the entry costs (the caller
    measures it, e.g. with :func:`footprint`); ``bytes`` is the sum over the
    entries held, never above ``max_bytes``. An entry larger than the whole
    budget is not kept. A lookup (:meth:`get`) makes an entry the most
    recently used; eviction takes the least recently used first."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        """Whether an entry exists for ``key``, whatever its counters."""
        return key in self._entries

    def items(self) -> list[tuple[Hashable, Any]]:
        """``(key, value)`` of every entry, whatever its counters (for inspection)."""
        return [(key, entry.value) for key, entry in self._entries.items()]

    def get(self, key: Hashable, deps: tuple[int, ...]) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.deps != deps or entry.expires < time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.value

    def set(self, key: Hashable, value: Any, deps: tuple[int, ...], ttl: float, size: int) -> None:
        if size > self.max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = Entry(value, deps, time.monotonic() + ttl, size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0


class RedisLayer:
    """The shared layer: ``GET``/``SET EX`` of JSON values. A Redis that is
    down counts as a miss (logged at most once a minute); the shop keeps
    serving from the database."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis

        self.prefix = prefix
        self.client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self._warned_at = 0.0

    def key(self, kind: str, key: Hashable, deps: tuple[int, ...]) -> str:
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
        return f"{self.prefix}:{kind}:{'.'.join(map(str, deps))}:{digest}"

    def _warn(self, exc: BaseException) -> None:
        if time.monotonic() - self._warned_at > 60:
            self._warned_at = time.monotonic()
            log.warning("cache.redis_unavailable", error=repr(exc))

    async def get(self, key: str) -> Any | None:
        try:
            raw = await self.client.get(key)
        except Exception as exc:
            self._warn(exc)
            return None
        return None if raw is None else orjson.loads(raw)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        try:
            await self.client.set(key, orjson.dumps(value), ex=max(1, int(ttl)))
        except Exception as exc:
            self._warn(exc)

    async def close(self) -> None:
        await self.client.aclose()


class Cache:
    """One process's cache: the memory store, optionally Redis behind it.

    ``build`` names the code that made the entries (engine, plugin and theme
    versions) so that processes of another release never share Redis entries.
    """

    def __init__(self, memory: MemoryStore, redis: RedisLayer | None = None, build: str = "",
                 data_ttl: float = 300.0) -> None:
        self.memory = memory
        self.redis = redis
        self.build = build
        self.data_ttl = data_ttl
        #: called with ``(kind, hit)`` for every lookup (the web layer counts them in the metrics)
        self.on_lookup: Callable[[str, bool], None] = lambda kind, hit: None
        self._loading: dict[Hashable, asyncio.Future] = {}

    async def lookup(self, kind: str, key: Hashable, deps: tuple[int, ...]) -> Any | None:
        """The value, or None (a miss). Redis hits are copied into memory."""
        value = self.memory.get((kind, key), deps)
        if value is None and self.redis is not None:
            raw = await self.redis.get(self.redis.key(f"{self.build}:{kind}", key, deps))
            if raw is not None:
                value = decode(kind, raw)
                self.memory.set((kind, key), value, deps, self.data_ttl, entry_size((kind, key), value))
        self.on_lookup(kind, value is not None)
        return value

    async def store(self, kind: str, key: Hashable, deps: tuple[int, ...], value: Any, ttl: float) -> None:
        self.memory.set((kind, key), value, deps, ttl, entry_size((kind, key), value))
        if self.redis is not None:
            await self.redis.set(self.redis.key(f"{self.build}:{kind}", key, deps), encode(kind, value), ttl)

    async def share(self, kind: str, key: Hashable, deps: tuple[int, ...], value: Any, ttl: float) -> None:
        """Write ``value`` (already in memory, since completed) to Redis."""
        if self.redis is not None:
            await self.redis.set(self.redis.key(f"{self.build}:{kind}", key, deps), encode(kind, value), ttl)

    async def get_or_load(self, kind: str, key: Hashable, scopes: tuple[str, ...], generation: Generation,
                          load: Callable[[], Awaitable[Any]], ttl: float | None = None, keep: bool = True) -> Any:
        """The cached value of ``key`` made under the current counters of
        ``scopes``, or ``await load()`` (stored for the next caller unless
        ``keep`` is false). Treat the value as read-only: it is shared."""
        deps = scope_values(generation, scopes)
        value = await self.lookup(kind, key, deps)
        if value is not None:
            return value
        flight = (kind, key, deps)
        pending = self._loading.get(flight)
        if pending is not None:
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._loading[flight] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no warning when nobody waits
            raise
        finally:
            self._loading.pop(flight, None)
        future.set_result(value)
        if value is not None and keep:
            await self.store(kind, key, deps, value, ttl or self.data_ttl)
        return value

    def clear(self) -> None:
        self.memory.clear()

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()


# ------------------------------------------------------------------ encoding
#: kinds whose values are not plain JSON data: kind -> (encode, decode)
CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}


def encode(kind: str, value: Any) -> Any:
    codec = CODECS.get(kind)
    return codec[0](value) if codec else value


def decode(kind: str, raw: Any) -> Any:
    codec = CODECS.get(kind)
    return codec[1](raw) if codec else raw


# ------------------------------------------------------------------ sizes
_ATOMS = (str, bytes, int, float, bool, type(None))


def footprint(value: Any) -> int:
    """Bytes of memory ``value`` holds: ``sys.getsizeof`` of it and of every
    object reachable through containers (dict, list, tuple, set), instance
    ``__dict__`` and ``__slots__``, each object counted once. Objects shared
    with the rest of the process (interned keys, small ints) are counted
    too, so the figure errs on the high side, never low. Classes, functions
    and modules are not followed."""
    seen: set[int] = set()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, _ATOMS):
            continue
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif not isinstance(item, type) and not callable(item):
            attributes = getattr(item, "__dict__", None)
            if attributes is not None:
                stack.append(attributes)
            for slot in getattr(type(item), "__slots__", ()):
                if hasattr(item, slot):
                    stack.append(getattr(item, slot))
    return total


def entry_size(key: Hashable, value: Any) -> int:
    """What keeping ``value`` under ``key`` costs the memory store, in bytes."""
    return footprint(key) + footprint(value) + ENTRY_OVERHEAD_BYTES
