"""Redis outages: a private redis-server is stopped and started again; no event is lost."""
from __future__ import annotations

import pytest

from engine.jobs.arq_queue import QueueUnavailable
from engine.outbox import emit, pending_count
from engine.system.tables import OutboxEvent

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


async def only_row() -> dict:
    [row] = await OutboxEvent.select().run()
    return row


async def test_event_committed_while_redis_is_down_runs_once_after_it_is_back(
        private_redis, make_jobs_runtime, database_url, load_plugin, burst):
    sample, audit = load_plugin("sample_jobs"), load_plugin("sample_audit")
    runtime = await make_jobs_runtime(plugins=[sample, audit], database_url=database_url,
                                 redis_url=private_redis.url, background=False)
    private_redis.stop()

    async with runtime.database.transaction():
        event_id = await emit("order_paid", {"number": "1002"})
    assert await runtime.relay_now() == 0
    assert await runtime.relay_now() == 0
    row = await only_row()
    assert row["relayed_at"] is None
    assert row["attempts"] == 2
    assert row["last_error"].startswith("QueueUnavailable: job queue (Redis) unavailable")
    with pytest.raises(QueueUnavailable):
        await runtime.queue.ping()

    private_redis.start()
    assert await runtime.relay_now() == 1
    worker = await burst(runtime)
    assert (worker.jobs_complete, worker.jobs_failed) == (3, 0)
    assert [e["id"] for e in sample.handled] == [event_id]
    assert [e["id"] for e in audit.handled] == [event_id]
    assert (await only_row())["relayed_at"] is not None

    assert await runtime.relay_now() == 0
    assert (await burst(runtime)).jobs_complete == 0
    assert len(sample.handled) == 1 and len(audit.handled) == 1


async def test_runtime_starts_while_redis_is_down_and_catches_up(
        private_redis, make_jobs_runtime, database_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    private_redis.stop()
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url,
                                 redis_url=private_redis.url, background=False)
    async with runtime.database.transaction():
        event_id = await emit("order_placed", {"number": "1005"})
    with pytest.raises(QueueUnavailable):
        await runtime.queue.enqueue("sample_jobs.record", 1)
    assert await runtime.relay_now() == 0
    assert (await only_row())["attempts"] == 1

    private_redis.start()
    assert await runtime.relay_now() == 1
    assert await runtime.queue.enqueue("sample_jobs.record", 1) is True
    await burst(runtime)
    assert [e["id"] for e in sample.handled] == [event_id]
    assert [c["args"] for c in sample.calls] == [(1,)]
    assert await pending_count() == 0


async def test_web_app_serves_healthz_and_reports_the_queue_down(private_redis, make_app, database_url):
    app = await make_app(database_url=database_url, redis_url=private_redis.url)
    client = app.test_client()
    ready = await client.get("/readyz")
    assert ready.status_code == 200, await ready.get_json()

    private_redis.stop()
    health = await client.get("/healthz")
    assert health.status_code == 200
    ready = await client.get("/readyz")
    body = await ready.get_json()
    assert ready.status_code == 503
    assert body["status"] == "unavailable"
    assert body["queue"]["ok"] is False and body["queue"]["kind"] == "redis"
    assert "unavailable" in body["queue"]["error"]
    assert body["database"]["ok"] is True

    private_redis.start()
    ready = await client.get("/readyz")
    assert ready.status_code == 200, await ready.get_json()


async def test_a_redis_restart_between_two_enqueues_is_invisible(
        private_redis, make_jobs_runtime, database_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url,
                                 redis_url=private_redis.url, background=False)
    assert await runtime.queue.enqueue("sample_jobs.record", 1) is True
    private_redis.stop()
    private_redis.start()  # the queued job is gone with it (no persistence here)
    assert await runtime.queue.enqueue("sample_jobs.record", 2) is True, "the dead connection is replaced"
    await burst(runtime)
    assert [c["args"] for c in sample.calls] == [(2,)]
