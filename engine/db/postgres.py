"""Piccolo's PostgreSQL engine, with transactions that always give their
connection back to the pool (:mod:`engine.db.transactions`) and a pool close
that cannot wait for ever."""
from __future__ import annotations

import asyncio

import structlog
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from engine.db.traced import TracedStatements
from engine.db.transactions import ReturnsItsConnection

log = structlog.get_logger(__name__)


class ReleasingTransaction(ReturnsItsConnection, PostgresTransaction):
    """A :class:`PostgresTransaction` whose connection goes back to the pool
    however it ends. asyncpg's release resets (or, mid-query, terminates) a
    connection that is not idle, and shields itself from a further
    cancellation."""

    __slots__ = ()

    async def begin(self) -> None:
        self.transaction = self.connection.transaction()
        await self.transaction.start()

    async def give_back(self, reusable: bool) -> None:
        if self.engine.pool:
            await self.engine.pool.release(self.connection)
        else:
            await self.connection.close()


class PooledPostgresEngine(TracedStatements, PostgresEngine):
    """Piccolo's engine with :class:`ReleasingTransaction`."""

    __slots__ = ()

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return ReleasingTransaction(engine=self, allow_nested=allow_nested)

    async def close_pool(self, timeout: float) -> None:
        """Close the pool gracefully, waiting up to ``timeout`` seconds for
        connections still in use, then terminate it, so a stuck task cannot
        hold shutdown."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await pool.close()
        except TimeoutError:  # asyncpg terminates a pool whose close is cancelled; terminate() is idempotent
            log.warning("database.pool_terminated", timeout_seconds=timeout,
                        in_use=pool.get_size() - pool.get_idle_size())
            pool.terminate()
