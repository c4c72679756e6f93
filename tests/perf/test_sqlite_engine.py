"""The pooled SQLite engine: reads on the event loop that see every commit,
slow reads moved to the pool, connections kept and reused, transactions that
roll back whole."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from engine.db.sqlite import PooledSQLiteEngine

COUNT_TO = ("SELECT (SELECT COUNT(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < {}) SELECT x FROM c)) AS n")


@pytest.fixture
async def engine(tmp_path):
    engine = PooledSQLiteEngine(path=str(tmp_path / "engine.sqlite"), pool_size=2)
    await engine.run_ddl("PRAGMA journal_mode = WAL")
    await engine.run_ddl("CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    await engine.run_ddl("CREATE TABLE children (id INTEGER PRIMARY KEY, "
                         "parent INTEGER NOT NULL REFERENCES parents (id))")
    yield engine
    await engine.close_connections()


async def names(engine) -> list[str]:
    return [row["name"] for row in await engine.run_ddl("SELECT name FROM parents ORDER BY id")]


async def test_a_read_outside_a_transaction_runs_inline_and_sees_every_commit(engine):
    assert await names(engine) == []
    async with engine.transaction():
        await engine.run_ddl("INSERT INTO parents (name) VALUES ('committed')")
        assert await names(engine) == ["committed"], "inside: the transaction's own connection"
        outside = engine.read_inline("SELECT name FROM parents")
        assert outside == [], "the inline connection never sees uncommitted rows"
    assert engine.read_inline("SELECT name FROM parents") == [{"name": "committed"}]
    assert await names(engine) == ["committed"]


async def test_the_inline_connection_cannot_write(engine):
    assert engine.read_inline("INSERT INTO parents (name) VALUES ('sneaky')") is None, "refused: for the pool"
    assert await names(engine) == []
    assert not engine._inline_allowed("INSERT INTO parents (name) VALUES ('x')"), "only SELECTs go inline"


async def test_a_slow_read_is_interrupted_and_answered_by_the_pool(engine):
    engine.inline_read_seconds = 0.0001
    query = COUNT_TO.format(300_000)
    assert engine.read_inline(query) is None, "over its budget on the event loop"
    assert query in engine._slow, "that statement goes straight to the pool for a while"
    assert (await engine.run_ddl(query))[0]["n"] == 300_000
    assert not engine._inline_allowed(query)
    assert engine._inline_allowed(COUNT_TO.format(10))


async def test_connections_are_kept_and_reused_and_bounded(engine):
    async def write(n: int) -> None:
        await engine.run_ddl(f"INSERT INTO parents (name) VALUES ('p{n}')")

    await asyncio.gather(*(write(n) for n in range(20)))
    assert len(await names(engine)) == 20
    assert 1 <= len(engine._connections) <= engine.pool_size, "a burst of writes shares pool_size connections"
    for _ in range(5):
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO parents (name) VALUES ('t')")
    assert len(engine._idle_transactions) == 1, "one transaction connection, reused"


async def test_a_failed_transaction_rolls_back_and_its_connection_is_not_reused(engine):
    with pytest.raises(RuntimeError):
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO parents (name) VALUES ('half')")
            raise RuntimeError("payment declined")
    assert await names(engine) == []
    async with engine.transaction():
        await engine.run_ddl("INSERT INTO parents (name) VALUES ('whole')")
    assert await names(engine) == ["whole"]


async def test_foreign_keys_are_enforced_on_every_connection(engine):
    with pytest.raises(sqlite3.IntegrityError):
        await engine.run_ddl("INSERT INTO children (parent) VALUES (42)")
    with pytest.raises(sqlite3.IntegrityError):
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO children (parent) VALUES (42)")
    assert await engine.run_ddl("SELECT COUNT(*) AS n FROM children") == [{"n": 0}]
