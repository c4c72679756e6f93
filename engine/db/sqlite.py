"""A Piccolo SQLite engine that keeps its connections and reads on the event loop.

Piccolo's stock ``SQLiteEngine`` opens a new aiosqlite connection — a new
thread — for every statement outside a transaction and for every transaction,
and runs ``PRAGMA foreign_keys`` before each statement inside one. On a simple
page that is most of the time spent. This engine:

- runs a ``SELECT`` outside a transaction **on the event loop**, on a plain
  ``sqlite3`` connection of its own (read-only, autocommit, so it sees every
  committed write). SQLite answers an indexed read from its page cache in
  microseconds, far less than a hop to a thread and back. A read that runs
  longer than ``inline_read_seconds`` is interrupted (a progress handler) and
  run again on a pooled connection in its thread; that statement then goes to
  the pool directly for a while. A read that meets a lock (``SQLITE_BUSY``)
  goes to the pool too, which waits for it. ``inline_read_seconds=0`` turns
  this off;
- keeps up to ``pool_size`` aiosqlite connections for every other statement
  outside a transaction (writes, slow reads, DDL), each used by one statement at
  a time, in autocommit mode;
- keeps idle transaction connections (up to ``pool_size``) for the next
  transaction, which still has its connection to itself for its whole life
  (``BEGIN IMMEDIATE`` for writes, exactly as in Piccolo). A connection that
  is left inside a transaction (a failed ``COMMIT``) is closed, never reused;
- sets the connection pragmas once per connection, not per statement.

Pragmas: ``foreign_keys``, ``synchronous`` (``NORMAL`` by default: with WAL a
crash of the process loses nothing, a power cut may lose the last commits),
``cache_size``, ``temp_store`` in memory and optionally ``mmap_size``. WAL mode
is set on the file by :meth:`engine.db.Database.start`.
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import Any, Optional

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from engine.db.traced import TracedStatements
from engine.db.transactions import ReturnsItsConnection

#: sqlite3 extended error codes (``exc.sqlite_errorcode & 0xff``) that send an
#: inline read to the pool instead of failing it
_RETRY_IN_POOL = {5, 6, 8}  # SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY
_INTERRUPT = 9
#: how long a statement that overran the inline budget goes straight to the pool
SLOW_STATEMENT_SECONDS = 30.0
_PROGRESS_STEPS = 1000


def connection_pragmas(synchronous: str = "NORMAL", cache_mb: int = 16, mmap_mb: int = 0) -> tuple[str, ...]:
    """The pragmas every connection of the engine starts with."""
    pragmas = [
        "PRAGMA foreign_keys = 1",
        f"PRAGMA synchronous = {synchronous}",
        "PRAGMA temp_store = MEMORY",
        f"PRAGMA cache_size = -{int(cache_mb) * 1024}",
    ]
    if mmap_mb:
        pragmas.append(f"PRAGMA mmap_size = {int(mmap_mb) * 1024 * 1024}")
    return tuple(pragmas)


def _is_select(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


class _InlineRead(threading.local):
    connection: sqlite3.Connection | None = None
    deadline: float = 0.0


class PooledSQLiteEngine(TracedStatements, SQLiteEngine):
    __slots__ = (
        "pool_size", "inline_read_seconds", "pragmas", "_pool", "_connections", "_idle_transactions", "_loop",
        "_inline", "_inline_connections", "_slow", "_opening",
    )

    def __init__(
        self,
        path: str,
        pool_size: int = 4,
        inline_read_seconds: float = 0.002,
        pragmas: tuple[str, ...] | None = None,
        **connection_kwargs: Any,
    ) -> None:
        super().__init__(path=path, **connection_kwargs)
        self.pool_size = pool_size
        self.inline_read_seconds = inline_read_seconds
        self.pragmas = pragmas if pragmas is not None else connection_pragmas()
        self._pool: asyncio.Queue | None = None
        self._connections: list[aiosqlite.Connection] = []
        self._idle_transactions: list[aiosqlite.Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inline = _InlineRead()
        self._inline_connections: list[sqlite3.Connection] = []
        self._slow: dict[str, float] = {}
        self._opening = 0  # pooled connections being opened

    # ------------------------------------------------------------ connections
    async def get_connection(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # A pooled connection lives as long as the engine; its worker thread must
        # not keep the interpreter alive at exit if nobody closed it.
        thread = getattr(pending, "_thread", None)
        if thread is not None:
            thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in self.pragmas:
            await connection.execute(pragma)
        return connection

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._loop is not loop:
            for stale in self._connections + self._idle_transactions:  # opened on a loop that is gone
                stale.stop()
            self._pool, self._connections, self._idle_transactions, self._loop = asyncio.Queue(), [], [], loop
            self._opening = 0

    async def _acquire(self) -> aiosqlite.Connection:
        self._check_loop()
        if self._pool.empty() and len(self._connections) + self._opening < self.pool_size:
            # Count it before the await: concurrent callers must not all open one.
            self._opening += 1
            try:
                connection = await self.get_connection()
            finally:
                self._opening -= 1
            self._connections.append(connection)
            return connection
        return await self._pool.get()

    def _release(self, connection: aiosqlite.Connection) -> None:
        if self._pool is not None and connection in self._connections:
            self._pool.put_nowait(connection)
        else:
            connection.stop()

    async def acquire_for_transaction(self) -> aiosqlite.Connection:
        """An idle transaction connection, or a new one (never waits for another
        transaction: a transaction may run while others wait for the write lock)."""
        self._check_loop()
        if self._idle_transactions:
            return self._idle_transactions.pop()
        return await self.get_connection()

    def release_transaction_connection(self, connection: aiosqlite.Connection, reusable: bool) -> None:
        if reusable and self._loop is asyncio.get_running_loop() and not connection.in_transaction \
                and len(self._idle_transactions) < self.pool_size:
            self._idle_transactions.append(connection)
        else:
            connection.stop()  # closing rolls back whatever is left open

    # ------------------------------------------------------------ inline reads
    def _inline_connection(self) -> sqlite3.Connection:
        state = self._inline
        if state.connection is None:
            kwargs = {**self.connection_kwargs, "timeout": 0, "check_same_thread": False}
            connection = sqlite3.connect(**kwargs)
            connection.row_factory = dict_factory
            for pragma in self.pragmas:
                connection.execute(pragma)
            connection.execute("PRAGMA query_only = 1")
            connection.set_progress_handler(lambda: 1 if time.perf_counter() > state.deadline else 0, _PROGRESS_STEPS)
            state.connection = connection
            self._inline_connections.append(connection)
        return state.connection

    def read_inline(self, query: str, args: list[Any] | tuple = ()) -> list[dict] | None:
        """Run a ``SELECT`` on the calling thread within the time budget; None
        when it must run in the pool instead (too slow, or blocked by a lock)."""
        connection = self._inline_connection()
        self._inline.deadline = time.perf_counter() + self.inline_read_seconds
        try:
            return connection.execute(query, args).fetchall()
        except sqlite3.OperationalError as exc:
            code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
            if code == _INTERRUPT:
                if len(self._slow) > 500:
                    self._slow.clear()
                self._slow[query] = time.monotonic() + SLOW_STATEMENT_SECONDS
                return None
            if code in _RETRY_IN_POOL:
                return None
            raise

    def read_tuples_inline(self, query: str) -> list[tuple]:
        """Run a tiny ``SELECT`` on the calling thread, rows as tuples; raises
        ``sqlite3.OperationalError`` when it cannot (the caller falls back)."""
        connection = self._inline_connection()
        self._inline.deadline = time.perf_counter() + max(self.inline_read_seconds, 0.002)
        cursor = connection.cursor()
        cursor.row_factory = None
        return cursor.execute(query).fetchall()

    def _inline_allowed(self, query: str) -> bool:
        if not self.inline_read_seconds or not _is_select(query):
            return False
        until = self._slow.get(query)
        if until is None:
            return True
        if until < time.monotonic():
            del self._slow[query]
            return True
        return False

    # ------------------------------------------------------------ statements
    async def _run_in_new_connection(
        self,
        query: str,
        args: Optional[list[Any]] = None,
        query_type: str = "generic",
        table: Any = None,
    ):
        if self._inline_allowed(query):
            rows = self.read_inline(query, args or [])
            if rows is not None:
                return rows
        connection = await self._acquire()
        try:
            return await connection.execute_fetchall(query, args or [])
        finally:
            self._release(connection)

    async def _run_in_existing_connection(
        self,
        connection,
        query: str,
        args: Optional[list[Any]] = None,
        query_type: str = "generic",
        table: Any = None,
    ):
        """A statement inside a transaction: one hop to the connection's thread
        (the pragmas were set when the connection was opened)."""
        return await connection.execute_fetchall(query, args or [])

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> "PooledTransaction":
        return PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def close_connections(self) -> None:
        """Close every connection (at shutdown)."""
        connections = self._connections + self._idle_transactions
        self._connections, self._idle_transactions, self._pool = [], [], None
        for connection in connections:
            await connection.close()
        inline, self._inline_connections = self._inline_connections, []
        self._inline = _InlineRead()
        for connection in inline:
            connection.close()


class PooledTransaction(ReturnsItsConnection, SQLiteTransaction):
    """Piccolo's SQLite transaction on a reused connection, given back to the
    engine however it ends (closed rather than reused unless it ended cleanly)."""

    __slots__ = ()

    async def get_connection(self):
        return await self.engine.acquire_for_transaction()

    async def give_back(self, reusable: bool) -> None:
        self.engine.release_transaction_connection(self.connection, reusable)
