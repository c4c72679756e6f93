"""Raw SQL through the Piccolo engine the shop's tables are bound to.

Read paths and hot write paths are hand-written SQL (one statement per
concern, so a page costs a bounded number of queries); they run through the
same engine Piccolo uses for the tables (set by :meth:`engine.db.Database.bind`),
inside the caller's transaction when there is one. Placeholders are ``{}`` (Piccolo's ``QueryString``), compiled to ``?``
on SQLite and ``$n`` on PostgreSQL. Literal braces must be doubled.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterable, Sequence

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

_current: Engine | None = None
_replicas: Any = None
_browsing: ContextVar[bool] = ContextVar("shopwright_browsing", default=False)


def use_engine(db: Engine, replicas: Any = None) -> None:
    """Make ``db`` the engine of these helpers and of Piccolo's lookups, and
    ``replicas`` (:class:`engine.db.replicas.Replicas` or None) where
    browsing reads may go (called by :meth:`engine.db.Database.bind`)."""
    global _current, _replicas
    _current = db
    _replicas = replicas


def engine() -> Engine:
    """The engine tables are bound to; outside a started app, the one the
    settings name (what Piccolo's own CLI gets through ``piccolo_conf``)."""
    if _current is None:
        from engine.db import make_engine
        from engine.settings import load_settings

        settings = load_settings()
        use_engine(make_engine(settings.database_url, settings.database))
    return _current


def dialect() -> str:
    """``sqlite`` or ``postgres``."""
    return "sqlite" if engine().engine_type == "sqlite" else "postgres"


async def fetch(sql: str, *args: Any) -> list[dict]:
    """Run one statement; rows as plain dicts. Inside :func:`browsing` and
    outside a transaction, on a read replica when there is one up."""
    db = engine()
    if _replicas is not None and _browsing.get() and db.current_transaction.get() is None:
        from engine.db.replicas import UNAVAILABLE

        replica = _replicas.pick()
        if replica is not None:
            try:
                rows = await replica.run_querystring(QueryString(sql, *args))
                return [dict(row) for row in rows or ()]
            except UNAVAILABLE as error:
                _replicas.failed(replica, error)
    rows = await db.run_querystring(QueryString(sql, *args))
    return [dict(row) for row in rows or ()]


async def fetchone(sql: str, *args: Any) -> dict | None:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def fetchval(sql: str, *args: Any) -> Any:
    row = await fetchone(sql, *args)
    return next(iter(row.values())) if row else None


def placeholders(values: Sequence[Any]) -> str:
    """``{}, {}, ...`` for an IN list (at least one value: callers skip empty lists)."""
    return ", ".join("{}" for _ in values)


@contextlib.asynccontextmanager
async def reading() -> AsyncIterator[None]:
    """Group several reads on one connection.

    Piccolo's stock SQLite engine opens a new connection (a thread) per
    statement outside a transaction; with it, a deferred (read) transaction
    keeps one connection and one consistent snapshot for the group. Engines
    that keep their connections (PostgreSQL's pool, a pooled SQLite engine)
    are already cheap per statement, so this does nothing for them. Joins the
    caller's transaction when there is one.
    """
    db = engine()
    if type(db) is not SQLiteEngine or db.current_transaction.get() is not None:
        yield
        return
    async with db.transaction():
        yield


@contextlib.asynccontextmanager
async def browsing() -> AsyncIterator[None]:
    """:func:`reading` for shoppers' catalog browsing (category, search and
    product pages, the public product API): on PostgreSQL with
    ``[database] read_replicas`` its statements may run on a replica
    (:mod:`engine.db.replicas`), so never use it where the reader must see its
    own write."""
    token = _browsing.set(True)
    try:
        async with reading():
            yield
    finally:
        _browsing.reset(token)


def write_transaction():
    """A write transaction on the engine the tables are bound to, like
    :meth:`engine.db.Database.transaction` (``BEGIN IMMEDIATE`` on SQLite), for
    services that have no runtime at hand. Inside the caller's transaction it
    joins that one: everything commits or rolls back with it."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def chunks(values: Iterable[Any], size: int = 500) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def timestamp(value: Any) -> datetime | None:
    """A timestamp column's value as an aware datetime, read the same from both
    engines (SQLite gives ISO text; a naive value is UTC); None stays None."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value
