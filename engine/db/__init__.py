"""Database access: one Piccolo engine per app, built from ``database_url``.

``sqlite:///relative/or/absolute/path`` gives the embedded default;
``postgresql://user@host:port/name`` gives PostgreSQL with an asyncpg pool.
Piccolo looks its engine up through ``engine.db.piccolo_conf``; :meth:`Database.start`
points that module, and every registered table, at this database.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from engine.db.sqlite import PooledSQLiteEngine

os.environ.setdefault("PICCOLO_CONF", "engine.db.piccolo_conf")


def sqlite_path(url: str) -> Path:
    """The file path of a ``sqlite:///`` URL (relative paths are relative to the cwd)."""
    return Path(url[len("sqlite:///"):])


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        # ``timeout`` is sqlite3's busy timeout: writers wait instead of failing
        # with "database is locked" while another connection holds the lock.
        return PooledSQLiteEngine(path=str(path), timeout=30)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return PostgresEngine(config={"dsn": url})


class Database:
    """A started database: the engine plus the tables bound to it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = "sqlite" if isinstance(self.engine, SQLiteEngine) else "postgres"
        self._tables: list[type[Table]] = []
        self._pool_started = False

    async def start(self, tables: Iterable[type[Table]] = ()) -> None:
        """Bind ``tables`` and open the connection pool (idempotent)."""
        self.bind(tables)
        if self._pool_started:
            return
        self._pool_started = True
        if self.dialect == "postgres":
            await self.engine.start_connection_pool(min_size=1, max_size=10)
        else:
            # WAL persists in the file: readers never block the single writer.
            await self.engine.run_ddl("PRAGMA journal_mode=WAL")

    def bind(self, tables: Iterable[type[Table]]) -> None:
        """Point Piccolo's engine lookup and ``tables`` at this database."""
        from piccolo.apps.migrations.tables import Migration

        from engine.db import piccolo_conf

        piccolo_conf.use_engine(self.engine)
        for table in [Migration, *tables]:
            table._meta.db = self.engine
            if table not in self._tables:
                self._tables.append(table)

    async def close(self) -> None:
        if not self._pool_started:
            return
        self._pool_started = False
        if self.dialect == "postgres":
            await self.engine.close_connection_pool()
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
