"""Change counters: how every process learns, cheaply, that cached data is stale.

Database triggers (migration ``cache ... change counter triggers``) add 1 to a
scope's counter in the same transaction as any change to a tracked table:

========== ==========================================================
scope      tables
========== ==========================================================
catalog    products, variants, categories, attributes and their values,
           option values, collections, images, warehouses
stock      ``catalog_stock`` (stock levels and reservations)
site       ``site_settings`` (active theme, theme settings)
plugins    ``plugin_state`` (enabled plugins, priorities, settings)
promotions ``promotions`` (rules, usage counts), ``voucher_usages``
========== ==========================================================

Cached pages and catalog answers depend on :data:`PAGE_SCOPES` only: an
order that uses a promotion moves ``promotions`` and must not empty the page
cache. The cached cart page (:mod:`engine.storefront.cart_cache`) depends on
every scope.

So a change made anywhere — a web process, a worker, the CLI, an import, a
plugin writing through the ORM or raw SQL — is counted, and a process that
reads the new counter also sees the change (it committed together). Reading
all counters is one tiny query (on SQLite it runs on the event loop in
microseconds, see :mod:`engine.db.sqlite`); :class:`ChangeCounters` does it
per request (``cache.check_interval_seconds = 0``, the default: a change shows
on the next request in every process) or at most once per interval.

Code that changes something cached that is *not* in a tracked table calls
:func:`bump` inside its transaction. A bulk write that changes many tracked
rows in one transaction wraps them in :func:`counted_once`: one bump per
scope instead of one trigger event per row.
"""
from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from typing import Any, AsyncIterator, Awaitable, Callable

from piccolo.querystring import QueryString

#: tracked table -> scope (kept in step with the trigger migration; a test checks)
TRACKED = {
    "catalog_categories": "catalog",
    "catalog_products": "catalog",
    "catalog_variants": "catalog",
    "catalog_attributes": "catalog",
    "catalog_product_attribute_values": "catalog",
    "catalog_product_categories": "catalog",
    "catalog_collections": "catalog",
    "catalog_collection_products": "catalog",
    "catalog_product_images": "catalog",
    "catalog_warehouses": "catalog",
    "catalog_stock": "stock",
    "site_settings": "site",
    "plugin_state": "plugins",
    "promotions": "promotions",
    "voucher_usages": "promotions",
}
SCOPES = ("catalog", "stock", "site", "plugins", "promotions")
#: the scopes cached pages and catalog answers depend on (a prefix of SCOPES)
PAGE_SCOPES = SCOPES[:4]
#: PostgreSQL spreads writers over this many rows per scope
POSTGRES_SLOTS = 32
READ_SQL = "SELECT scope, SUM(value) AS value FROM cache_generations GROUP BY scope"
#: SQLite keeps one slot per scope: no aggregate to compute
SQLITE_READ_SQL = "SELECT scope, value FROM cache_generations"

Generation = tuple[int, ...]  # one number per scope, in SCOPES order


async def read_counters(engine: Any) -> dict[str, int]:
    """The current counter of every scope (0 for a scope with no row).

    Straight to the driver, past Piccolo's query machinery (this runs on every
    request): on SQLite on the event loop (:mod:`engine.db.sqlite`), on
    PostgreSQL through the asyncpg pool. Falls back to an ordinary Piccolo
    query when neither is at hand."""
    rows: Any = None
    read_inline = getattr(engine, "read_tuples_inline", None)
    if read_inline is not None:
        with contextlib.suppress(sqlite3.OperationalError):
            rows = read_inline(SQLITE_READ_SQL)
    elif getattr(engine, "pool", None) is not None and engine.current_transaction.get() is None:
        rows = [tuple(row) for row in await engine.pool.fetch(READ_SQL)]
    if rows is None:
        rows = [(row["scope"], row["value"]) for row in await engine.run_querystring(QueryString(READ_SQL)) or ()]
    values = dict.fromkeys(SCOPES, 0)
    for scope, value in rows:
        values[scope] = values.get(scope, 0) + int(value or 0)
    return {scope: values[scope] for scope in SCOPES}


async def bump(engine: Any, scope: str) -> None:
    """Add 1 to ``scope``'s counter; call it inside the transaction of a change
    that no tracked table records, so that cached copies are dropped everywhere."""
    if scope not in SCOPES:
        raise ValueError(f"unknown cache scope {scope!r} (known: {', '.join(SCOPES)})")
    slot = 0 if engine.engine_type == "sqlite" else random.randrange(POSTGRES_SLOTS)
    await engine.run_querystring(QueryString(
        "UPDATE cache_generations SET value = value + 1 WHERE scope = {} AND slot = {}", scope, slot))


@contextlib.asynccontextmanager
async def counted_once(engine: Any, *scopes: str) -> AsyncIterator[None]:
    """Inside a write transaction that changes many tracked rows (a bulk
    import): the block's changes to ``scopes`` are counted once, when the
    block ends, instead of row by row.

    On PostgreSQL the row triggers of ``scopes`` queue nothing while the block
    runs (their ``WHEN`` condition reads the transaction-local setting
    ``shopwright.counting_<scope>``), and each scope is bumped once on leaving
    the block without an error — late in the transaction, as the deferred
    triggers would, so the counter slot's row lock is held only until the
    commit that follows. On an error nothing is bumped (the caller's
    transaction rolls back). On SQLite the row triggers count as always."""
    for scope in scopes:
        if scope not in SCOPES:
            raise ValueError(f"unknown cache scope {scope!r} (known: {', '.join(SCOPES)})")
    if engine.engine_type == "sqlite":
        yield
        return
    for scope in scopes:
        await engine.run_querystring(QueryString("SELECT set_config({}, '1', true)", f"shopwright.counting_{scope}"))
    yield
    for scope in scopes:
        # cache_bump_now bumps the slot of this transaction and marks the scope
        # bumped, so rows written later in it do not bump a second time
        await engine.run_querystring(QueryString(
            "SELECT set_config({}, '', true), cache_bump_now({})", f"shopwright.counting_{scope}", scope))


class ChangeCounters:
    """One process's view of the counters: :meth:`current` returns the
    generation tuple (one number per scope, in :data:`SCOPES` order), read
    from the database on every call, or at most once per ``interval`` seconds
    when ``interval`` > 0. Counters only grow.

    On SQLite the read runs on the event loop (microseconds). Over the network
    (PostgreSQL) concurrent callers share reads: a caller waits for the next
    read that *starts after* it called — so it still sees every change
    committed before its request — and at most one read is in flight."""

    def __init__(self, engine: Any, interval: float = 0.0) -> None:
        self.engine = engine
        self.interval = interval
        self.generation: Generation | None = None
        self._read_at = 0.0
        self._inline = hasattr(engine, "read_tuples_inline")
        self._next: asyncio.Future | None = None
        self._reading: asyncio.AbstractEventLoop | None = None  # the loop a reader task runs on

    async def current(self) -> Generation:
        if self.interval and self.generation is not None and time.monotonic() - self._read_at < self.interval:
            return self.generation
        if self._inline:
            return await self._read()
        loop = asyncio.get_running_loop()
        if self._next is None or self._next.get_loop() is not loop:
            self._next = loop.create_future()
        if self._reading is not loop:  # no reader on this loop (one left on a closed loop does not count)
            self._reading = loop
            loop.create_task(self._reader())
        return await asyncio.shield(self._next)

    async def _read(self) -> Generation:
        values = await read_counters(self.engine)
        generation = tuple(values[scope] for scope in SCOPES)
        self._read_at = time.monotonic()
        self.generation = generation
        return generation

    async def _reader(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._next is not None and self._next.get_loop() is loop:
                future, self._next = self._next, None
                try:
                    future.set_result(await self._read())
                except Exception as exc:
                    future.set_exception(exc)
                    future.exception()  # retrieved: the callers raise it
        finally:
            if self._reading is loop:
                self._reading = None


class Follower:
    """Keeps per-process state (the plugin host, the theme state) in step with
    one scope: :meth:`follow` re-reads that state, once, when the scope's
    counter is ahead of what was last applied. Concurrent callers wait for the
    same refresh, so nobody renders with state older than the counter it read."""

    def __init__(self, scope: str, refresh: Callable[[], Awaitable[Any]]) -> None:
        self.index = SCOPES.index(scope)
        self.refresh = refresh
        self.applied = -1
        self._lock = asyncio.Lock()

    async def follow(self, generation: Generation) -> None:
        wanted = generation[self.index]
        if self.applied >= wanted:
            return
        async with self._lock:
            if self.applied >= wanted:
                return
            await self.refresh()
            self.applied = wanted


def page_deps(generation: Generation) -> tuple[int, ...]:
    """The numbers of :data:`PAGE_SCOPES` within a generation tuple."""
    return generation[:len(PAGE_SCOPES)]


def scope_values(generation: Generation, scopes: tuple[str, ...]) -> tuple[int, ...]:
    """The numbers of ``scopes`` within a generation tuple."""
    return tuple(generation[SCOPES.index(scope)] for scope in scopes)
