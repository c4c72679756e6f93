"""A Piccolo SQLite engine that keeps its connections.

Piccolo's stock ``SQLiteEngine`` opens a new aiosqlite connection — a new
thread — for every query outside a transaction; on a simple page that is most
of the time spent. This engine keeps a small pool of open connections for those
queries. Each connection is used by one query at a time (acquired from a queue),
runs in autocommit mode, and so sees every committed write. Transactions still
get a connection of their own for their whole lifetime (``BEGIN IMMEDIATE`` for
writes), exactly as in Piccolo.
"""
from __future__ import annotations

import asyncio
from typing import Any, Optional

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

#: pragmas applied to every connection this engine opens
CONNECTION_PRAGMAS = (
    "PRAGMA foreign_keys = 1",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA cache_size = -16000",  # 16 MiB page cache per connection
)


class PooledSQLiteEngine(SQLiteEngine):
    __slots__ = ("pool_size", "_pool", "_connections", "_loop")

    def __init__(self, path: str, pool_size: int = 4, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self.pool_size = pool_size
        self._pool: asyncio.Queue | None = None
        self._connections: list[aiosqlite.Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def get_connection(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # A pooled connection lives as long as the engine; its worker thread must
        # not keep the interpreter alive at exit if nobody closed it.
        thread = getattr(pending, "_thread", None)
        if thread is not None:
            thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in CONNECTION_PRAGMAS:
            await connection.execute(pragma)
        return connection

    async def _acquire(self) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._loop is not loop:
            for stale in self._connections:  # opened on a loop that is gone
                stale.stop()
            self._pool, self._connections, self._loop = asyncio.Queue(), [], loop
        if self._pool.empty() and len(self._connections) < self.pool_size:
            connection = await self.get_connection()
            self._connections.append(connection)
            return connection
        return await self._pool.get()

    async def _run_in_new_connection(
        self,
        query: str,
        args: Optional[list[Any]] = None,
        query_type: str = "generic",
        table: Any = None,
    ):
        connection = await self._acquire()
        try:
            async with connection.execute(query, args or []) as cursor:
                return await cursor.fetchall()
        finally:
            self._pool.put_nowait(connection)

    async def close_connections(self) -> None:
        """Close the pooled connections (at shutdown)."""
        connections, self._connections, self._pool = self._connections, [], None
        for connection in connections:
            await connection.close()
