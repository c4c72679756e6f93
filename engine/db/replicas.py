"""Read replicas (PostgreSQL): where shoppers' browsing reads may go.

``[database] read_replicas = ["postgresql://...", ...]`` (environment:
``SHOPWRIGHT_DATABASE__READ_REPLICAS='["postgresql://..."]'``) names
streaming replicas of the primary. Statements run through
:func:`engine.db.sql.fetch` inside :func:`engine.db.sql.browsing` and outside
any transaction go to one of them, taken in turn; everything else (writes,
transactions, staff pages, checkout) goes to the primary.

A replica that fails to connect (refused, unknown database, shutting down,
connection lost) is skipped for ``replica_retry_seconds`` and the statement
runs on the primary instead: a replica outage slows nothing down and breaks
no page. What a replica answers may lag the primary by its replication
delay. SQLite has no replicas: the setting is ignored there.
"""
from __future__ import annotations

import itertools
import time
from typing import Callable, Sequence

import asyncpg
import structlog

log = structlog.get_logger(__name__)

#: Errors that mean "this replica cannot answer now", not "this statement is wrong".
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError, asyncpg.InvalidCatalogNameError, asyncpg.TooManyConnectionsError,
    asyncpg.exceptions.InvalidAuthorizationSpecificationError, asyncpg.exceptions.AdminShutdownError,
)


class Replicas:
    """The replica engines of one database, with a down-list."""

    def __init__(self, engines: Sequence, retry_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.engines = list(engines)
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._down_until: dict[int, float] = {}
        self._turn = itertools.count()

    async def start(self, max_size: int) -> None:
        """Create the pools without connecting (``min_size=0``): a replica
        that is down at start-up costs nothing until it is asked."""
        for engine in self.engines:
            await engine.start_connection_pool(min_size=0, max_size=max_size)

    async def close(self, timeout: float) -> None:
        for engine in self.engines:
            await engine.close_pool(timeout)

    def pick(self):
        """The next replica not marked down, or None."""
        now = self.clock()
        for _ in range(len(self.engines)):
            index = next(self._turn) % len(self.engines)
            if self._down_until.get(index, 0.0) <= now:
                return self.engines[index]
        return None

    def failed(self, engine, error: BaseException) -> None:
        """Skip ``engine`` for ``retry_seconds``."""
        index = self.engines.index(engine)
        self._down_until[index] = self.clock() + self.retry_seconds
        log.warning("database.replica_unavailable", replica=index, error=type(error).__name__,
                    retry_seconds=self.retry_seconds)
