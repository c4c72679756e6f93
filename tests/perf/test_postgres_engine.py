"""The PostgreSQL engine gives every connection back to its pool, even when the
task holding it is cancelled mid-transaction, so shutting down never waits for
a connection that will not come back."""
from __future__ import annotations

import asyncio

import asyncpg
import pytest

from engine.db import Database
from engine.settings import DatabaseSettings

# COMMIT fires this deferred trigger, so a commit takes a while and a
# cancellation can land in the middle of it.
SLOW_COMMIT = [
    "CREATE TABLE slow_commits (id SERIAL PRIMARY KEY)",
    "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow_commits "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()",
]


@pytest.fixture
async def database(postgres_url):
    database = Database(postgres_url)
    await database.start()
    for statement in SLOW_COMMIT:
        await database.engine.run_ddl(statement)
    yield database
    await database.close()


async def pool_is_idle(pool) -> bool:
    for _ in range(100):
        if pool.get_idle_size() == pool.get_size():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("cancellations", [1, 5], ids=["once", "again_and_again"])
async def test_a_transaction_cancelled_while_committing_gives_its_connection_back(database, cancellations):
    async def write() -> None:
        async with database.transaction():
            await database.engine.run_ddl("INSERT INTO slow_commits DEFAULT VALUES")

    task = asyncio.create_task(write())
    await asyncio.sleep(0.3)  # inside the COMMIT
    for _ in range(cancellations):
        task.cancel()
        await asyncio.sleep(0.05)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pool_is_idle(database.engine.pool), "the connection went back to the pool"
    rows = await database.engine.run_ddl("SELECT COUNT(*) AS n FROM slow_commits")
    assert rows[0]["n"] == 0, "the interrupted commit wrote nothing"
    async with asyncio.timeout(10):
        await database.close()


async def test_a_transaction_cancelled_while_beginning_gives_its_connection_back(database):
    async def write() -> None:
        async with database.transaction():
            pass

    # Cancelled as soon as it has run up to its first await: acquiring the
    # connection or sending BEGIN.
    for delay in (0, 0.001, 0.002, 0.005):
        task = asyncio.create_task(write())
        await asyncio.sleep(delay)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await pool_is_idle(database.engine.pool)


async def test_closing_does_not_wait_for_ever_on_a_connection_still_in_use(database):
    """Shutdown with a connection checked out by a stuck task: the pool is
    terminated after ``[database] close_timeout_seconds``, not waited on."""
    held = await database.engine.pool.acquire()
    database.options.close_timeout_seconds = 0.5
    async with asyncio.timeout(10):
        await database.close()
    with pytest.raises(asyncpg.InterfaceError):
        await held.fetchval("SELECT 1")


@pytest.mark.parametrize("kept", [2, 0])
async def test_a_connection_keeps_at_most_statement_cache_size_prepared_statements(postgres_url, kept):
    """``[database] statement_cache_size`` reaches every pooled connection:
    eight distinct statements leave at most that many prepared on the server
    (asyncpg's own default would keep all eight)."""
    database = Database(postgres_url, DatabaseSettings(pool_min_size=1, pool_max_size=1, statement_cache_size=kept))
    await database.start()
    try:
        async with database.engine.pool.acquire() as connection:
            for number in range(8):
                await connection.fetch(f"SELECT {number} AS n")
            prepared = await connection.fetchval("SELECT count(*) FROM pg_prepared_statements")
    finally:
        await database.close()
    # a statement pushed out of the cache is closed with the connection's next query
    assert prepared <= kept + 1
