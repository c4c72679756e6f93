"""The transactional outbox and its relay, on the in-process runner and on arq."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest

from engine.jobs.local import LocalRunner
from engine.outbox import DISPATCH_JOB, emit, event_job_id, pending_count, relay_outbox
from engine.system.tables import OutboxEvent, SiteSetting

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


@pytest.fixture(params=["in-process", "redis"])
def runner(request) -> dict:
    """Runtime overrides selecting the job runner."""
    if request.param == "redis":
        return {"redis_url": request.getfixturevalue("redis_url")}
    return {}


@pytest.fixture
def settle(burst):
    """``await settle(runtime)``: relay, run every job the events caused, mark
    the events relayed. Returns the arq worker (None in-process)."""

    async def run(runtime):
        await relay_outbox(runtime.queue)
        if isinstance(runtime.queue, LocalRunner):
            await runtime.queue.drain()
            await relay_outbox(runtime.queue)
            return None
        return await burst(runtime)

    return run


def metric(runtime, job: str, outcome: str) -> float:
    value = runtime.metrics.registry.get_sample_value("shopwright_jobs_total", {"job": job, "outcome": outcome})
    return value or 0


async def outbox_rows() -> list[dict]:
    return await OutboxEvent.select().order_by(OutboxEvent.id).run()


async def test_event_is_rolled_back_with_the_change(make_jobs_runtime, database_url):
    runtime = await make_jobs_runtime(database_url=database_url, background=False)
    now = datetime.now(timezone.utc)
    with pytest.raises(RuntimeError, match="payment declined"):
        async with runtime.database.transaction():
            await SiteSetting.insert(SiteSetting(key="banner", value='"sale"', updated_at=now)).run()
            await emit("order_placed", {"number": "1001"})
            raise RuntimeError("payment declined")
    assert await SiteSetting.count().where(SiteSetting.key == "banner").run() == 0
    assert await outbox_rows() == []

    async with runtime.database.transaction():
        await SiteSetting.insert(SiteSetting(key="banner", value='"sale"', updated_at=now)).run()
        event_id = await emit("order_placed", {"number": "1001", "total": {"amount": 1999, "currency": "EUR"}})
    assert await SiteSetting.count().where(SiteSetting.key == "banner").run() == 1
    [row] = await outbox_rows()
    assert (row["id"], row["name"], row["relayed_at"], row["attempts"]) == (event_id, "order_placed", None, 0)
    assert json.loads(row["payload"]) == {"number": "1001", "total": {"amount": 1999, "currency": "EUR"}}


async def test_each_plugin_handles_a_committed_event_once_even_when_relayed_twice(
        runner, make_jobs_runtime, database_url, load_plugin, settle):
    sample, audit = load_plugin("sample_jobs"), load_plugin("sample_audit")
    runtime = await make_jobs_runtime(plugins=[sample, audit], database_url=database_url, background=False, **runner)
    async with runtime.database.transaction():
        event_id = await emit("order_placed", {"number": "1001"})
    # A relay that enqueued the event and stopped before writing relayed_at ...
    assert await runtime.queue.enqueue(DISPATCH_JOB, event_id, _job_id=event_job_id(event_id)) is True
    # ... then two relays at once, from this process and (on Redis) from another one.
    relays = [relay_outbox(runtime.queue), relay_outbox(runtime.queue)]
    if runner:
        other = await make_jobs_runtime(plugins=[sample, audit], database_url=database_url, background=False,
                                   jobs={"queue_name": runtime.settings.jobs.queue_name}, **runner)
        relays.append(relay_outbox(other.queue))
    await asyncio.gather(*relays)
    worker = await settle(runtime)

    assert [(e["id"], e["name"], e["payload"]) for e in sample.handled] == [(event_id, "order_placed", {"number": "1001"})]
    assert [(e["id"], e["name"], e["payload"]) for e in audit.handled] == [(event_id, "order_placed", {"number": "1001"})]
    if worker is not None:
        assert (worker.jobs_complete, worker.jobs_failed) == (3, 0), "one dispatch, one delivery per plugin"
    else:
        assert metric(runtime, "core.dispatch_event", "succeeded") == 1
        assert metric(runtime, "core.deliver_event", "succeeded") == 2
    [row] = await outbox_rows()
    assert row["relayed_at"] is not None and row["attempts"] == 0
    assert await pending_count() == 0

    # Relaying again later changes nothing.
    assert await relay_outbox(runtime.queue) == 0
    await settle(runtime)
    assert len(sample.handled) == 1 and len(audit.handled) == 1


async def test_a_failing_handler_is_retried_without_rerunning_the_others(
        runner, make_jobs_runtime, database_url, load_plugin, settle):
    sample, audit = load_plugin("sample_jobs"), load_plugin("sample_audit")
    sample.fail_first["event"] = 2
    runtime = await make_jobs_runtime(plugins=[sample, audit], database_url=database_url, background=False, **runner)
    async with runtime.database.transaction():
        event_id = await emit("stock_changed", {"sku": "TEE-M", "quantity": 3})
    worker = await settle(runtime)

    assert [e["id"] for e in sample.handled] == [event_id] * 3, "failed twice, then succeeded"
    gaps = [b["at"] - a["at"] for a, b in zip(sample.handled, sample.handled[1:])]
    assert gaps[0] >= 0.05 * 0.9 and gaps[1] >= 0.1 * 0.9, gaps
    assert [e["id"] for e in audit.handled] == [event_id], "the other plugin's handler ran once"
    if worker is not None:
        assert (worker.jobs_complete, worker.jobs_retried, worker.jobs_failed) == (3, 2, 0)
    else:
        assert metric(runtime, "core.deliver_event", "retried") == 2
        assert metric(runtime, "core.deliver_event", "succeeded") == 2
    assert await pending_count() == 0


async def test_a_disabled_plugin_is_not_handed_events(runner, make_jobs_runtime, database_url, load_plugin, settle):
    sample, audit = load_plugin("sample_jobs"), load_plugin("sample_audit")
    runtime = await make_jobs_runtime(plugins=[sample, audit], database_url=database_url, background=False, **runner)
    await runtime.host.disable("sample_audit")
    async with runtime.database.transaction():
        event_id = await emit("product_saved", {"id": 5})
    await settle(runtime)
    assert [e["id"] for e in sample.handled] == [event_id]
    assert audit.handled == []


async def test_an_event_left_by_a_stopped_process_is_handled_after_restart(
        runner, make_jobs_runtime, database_url, load_plugin, settle):
    sample, audit = load_plugin("sample_jobs"), load_plugin("sample_audit")
    first = await make_jobs_runtime(plugins=[sample, audit], database_url=database_url, background=False, **runner)
    async with first.database.transaction():
        event_id = await emit("order_paid", {"number": "1003"})
    if isinstance(first.queue, LocalRunner):
        # In-process: the jobs were queued in memory when the process stopped.
        await first.queue.close()
        assert await relay_outbox(first.queue) == 0
        assert first.queue.event_state(event_id) == "pending"
    # (On Redis: the process stopped between the commit and the enqueue.)
    await first.stop()
    [row] = await outbox_rows()
    assert row["relayed_at"] is None

    second = await make_jobs_runtime(plugins=[sample, audit], database_url=database_url, background=False,
                                jobs={"queue_name": first.settings.jobs.queue_name}, **runner)
    await settle(second)
    assert [e["id"] for e in sample.handled] == [event_id]
    assert [e["id"] for e in audit.handled] == [event_id]
    assert await pending_count() == 0


async def test_background_relay_delivers_without_being_asked(runner, make_jobs_runtime, database_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url,
                                 jobs={"relay_interval_seconds": 0.1}, **runner)
    async with runtime.database.transaction():
        event_id = await emit("order_placed", {"number": "1004"})
    runtime.events_committed()
    deadline = asyncio.get_running_loop().time() + 5
    while await pending_count() and asyncio.get_running_loop().time() < deadline:
        if not isinstance(runtime.queue, LocalRunner):
            await burst(runtime)
        await asyncio.sleep(0.05)
    if not isinstance(runtime.queue, LocalRunner):
        await burst(runtime)
    assert [e["id"] for e in sample.handled] == [event_id]
    assert await pending_count() == 0
