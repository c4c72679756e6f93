"""Database access: one Piccolo engine per app, built from ``database_url``.

``sqlite:///relative/or/absolute/path`` gives the embedded default;
``postgresql://user@host:port/name`` gives PostgreSQL with an asyncpg pool.
Piccolo looks its engine up through ``engine.piccolo_conf``; :meth:`Database.start`
points that module, and every registered table, at this database.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from engine.db.deferred import defer_import

defer_import("black")  # before anything imports piccolo.conf.apps: see engine.db.deferred

from piccolo.engine.base import Engine  # noqa: E402
from piccolo.engine.sqlite import SQLiteEngine, TransactionType  # noqa: E402
from piccolo.table import Table  # noqa: E402

from engine.db.postgres import PooledPostgresEngine  # noqa: E402
from engine.db.replicas import Replicas  # noqa: E402
from engine.db.sqlite import PooledSQLiteEngine, connection_pragmas  # noqa: E402
from engine.settings import DatabaseSettings  # noqa: E402

os.environ.setdefault("PICCOLO_CONF", "engine.piccolo_conf")


def sqlite_path(url: str) -> Path:
    """The file path of a ``sqlite:///`` URL (relative paths are relative to the cwd)."""
    return Path(url[len("sqlite:///"):])


def make_engine(url: str, options: DatabaseSettings | None = None) -> Engine:
    """The Piccolo engine of ``url``, tuned by the ``[database]`` settings."""
    options = options or DatabaseSettings()
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        # ``timeout`` is sqlite3's busy timeout: writers wait instead of failing
        # with "database is locked" while another connection holds the lock.
        return PooledSQLiteEngine(
            path=str(path), timeout=30, pool_size=options.sqlite_pool_size,
            inline_read_seconds=options.sqlite_inline_read_ms / 1000,
            pragmas=connection_pragmas(options.sqlite_synchronous, options.sqlite_cache_mb, options.sqlite_mmap_mb),
        )
    return PooledPostgresEngine(config=postgres_config(url, options))


def postgres_config(url: str, options: DatabaseSettings) -> dict:
    """asyncpg's connection arguments for ``url``. Each connection keeps at
    most ``statement_cache_size`` prepared statements (asyncpg's default is
    100): every pooled connection keeps its own copy of each statement it has
    run, and each costs the worker tens of kilobytes, so under varied filtered
    listings a worker with ten connections held about 600 of them, some 25 MB
    (docs/performance.md, "Worker memory: asyncpg's statement cache")."""
    return {"dsn": postgres_dsn(url), "statement_cache_size": options.statement_cache_size}


def postgres_dsn(url: str) -> str:
    """``postgres://`` spelled the way asyncpg and libpq tools expect."""
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://"):]
    return url


async def _keep_session(connection) -> None:
    """asyncpg's pool resets a released connection with one more round trip
    (``RESET ALL; UNLISTEN *; CLOSE ALL; pg_advisory_unlock_all()``) — as many
    round trips as the queries themselves. The engine leaves no session state
    behind (``SET LOCAL`` and transaction-scoped locks only), so the release
    only rolls back a transaction left open (asyncpg does that before calling
    this). ``[database] pool_reset_session = true`` restores the full reset
    for code that sets session state on pooled connections."""


class Database:
    """A started database: the engine plus the tables bound to it."""

    def __init__(self, url: str, options: DatabaseSettings | None = None) -> None:
        self.url = url
        self.options = options or DatabaseSettings()
        self.engine = make_engine(url, self.options)
        self.dialect = "sqlite" if isinstance(self.engine, SQLiteEngine) else "postgres"
        self._tables: list[type[Table]] = []
        self._pool_started = False
        self.replicas: Replicas | None = None
        if self.dialect == "postgres" and self.options.read_replicas:
            self.replicas = Replicas([PooledPostgresEngine(config=postgres_config(replica, self.options))
                                      for replica in self.options.read_replicas],
                                     self.options.replica_retry_seconds)

    async def start(self, tables: Iterable[type[Table]] = ()) -> None:
        """Bind ``tables`` and open the connection pool (idempotent)."""
        self.bind(tables)
        if self._pool_started:
            return
        self._pool_started = True
        if self.dialect == "postgres":
            extra = {} if self.options.pool_reset_session else {"reset": _keep_session}
            await self.engine.start_connection_pool(
                min_size=min(self.options.pool_min_size, self.options.pool_max_size),
                max_size=self.options.pool_max_size,
                **extra,
            )
            if self.replicas is not None:
                await self.replicas.start(self.options.pool_max_size)
        else:
            # WAL persists in the file: readers never block the single writer.
            await self.engine.run_ddl("PRAGMA journal_mode=WAL")

    def bind(self, tables: Iterable[type[Table]]) -> None:
        """Point Piccolo's engine lookup and ``tables`` at this database."""
        from piccolo.apps.migrations.tables import Migration

        from engine.db import sql

        sql.use_engine(self.engine, self.replicas)
        for table in [Migration, *tables]:
            table._meta.db = self.engine
            if table not in self._tables:
                self._tables.append(table)

    async def close(self) -> None:
        if not self._pool_started:
            return
        self._pool_started = False
        if self.dialect == "postgres":
            await self.engine.close_pool(self.options.close_timeout_seconds)
            if self.replicas is not None:
                await self.replicas.close(self.options.close_timeout_seconds)
        else:
            await self.engine.close_connections()

    def transaction(self):
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (takes the write lock
        up front so two writers cannot deadlock on lock upgrade)."""
        if self.dialect == "sqlite":
            return self.engine.transaction(transaction_type=TransactionType.immediate)
        return self.engine.transaction()

    async def ping(self) -> None:
        await self.engine.run_ddl("SELECT 1")
