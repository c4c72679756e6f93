"""Deleting a subscription while one of its deliveries is being recorded: the
two lock the same rows, and must take them in the same order (subscription,
then delivery) or PostgreSQL ends one of them with a deadlock — an admin's
``DELETE /api/v1/admin/webhooks/<id>`` answered 500.

The interleaving is forced, not hoped for: a third transaction holds a share
lock on the subscription so that the deletion queues first, then the delivery
is recorded, then the share lock goes."""
from __future__ import annotations

import asyncio

import asyncpg
import pytest

from engine.db.sql import fetchone, fetchval
from engine.testing import wait_until
from engine.webhooks import delivery, services

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


async def waiting_on_a_lock(monitor: asyncpg.Connection, statement: str) -> bool:
    """Whether a session of this database is blocked on a lock running ``statement...``."""
    return bool(await monitor.fetchval(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND query LIKE $1", statement + "%"))


async def test_a_subscription_deleted_while_its_delivery_is_recorded(postgres_url, make_app, receiver):
    await receiver.start()
    app = await make_app(database_url=postgres_url)
    subscription, _secret = await services.create_subscription(
        app.runtime, {"url": receiver.url, "event_types": ["product.updated"]})
    created = await fetchval("SELECT NOW()")
    pending = await fetchone(
        "INSERT INTO webhook_deliveries (subscription, event_id, event_type, body, status, attempts, round_attempts, "
        "next_attempt_at, seq, created_at) VALUES ({}, {}, {}, {}, 'pending', 0, 0, NULL, 0, {}) RETURNING id",
        subscription["id"], 1, "product.updated", '{"id": "evt_1"}', created)

    holder = await asyncpg.connect(postgres_url)
    deleter = await asyncpg.connect(postgres_url)
    monitor = await asyncpg.connect(postgres_url)
    try:
        share = holder.transaction()
        await share.start()
        await holder.execute("SELECT id FROM webhook_subscriptions WHERE id = $1 FOR SHARE", subscription["id"])
        deletion = asyncio.create_task(
            deleter.execute("DELETE FROM webhook_subscriptions WHERE id = $1", subscription["id"]))
        await wait_until(lambda: waiting_on_a_lock(monitor, "DELETE FROM webhook_subscriptions"),
                         what="the deletion waits for the share lock")
        attempt = asyncio.create_task(delivery.deliver(app.runtime, pending["id"]))
        await wait_until(lambda: waiting_on_a_lock(monitor, "UPDATE webhook_subscriptions"),
                         what="recording the attempt waits for the subscription's row")
        await share.commit()

        assert await deletion == "DELETE 1"
        assert await attempt == "deleted"
        assert [r.status for r in receiver.requests] == [200]  # it was sent once, and nothing more happened
        assert await fetchval("SELECT COUNT(*) FROM webhook_deliveries") == 0
        assert await fetchval("SELECT COUNT(*) FROM webhook_attempts") == 0
    finally:
        for connection in (holder, deleter, monitor):
            await connection.close()
