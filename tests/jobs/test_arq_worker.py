"""Jobs on arq with the real Redis: burst worker, retries, dedupe, namespacing, cron."""
from __future__ import annotations

import asyncio
import time

import pytest
from arq.worker import Worker
from redis.asyncio import Redis

from engine.jobs.arq_queue import ArqQueue, worker_settings

# arq's Worker.close() calls redis' deprecated close(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


async def test_enqueued_job_runs_on_a_burst_worker(make_jobs_runtime, database_url, redis_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, redis_url=redis_url)
    assert isinstance(runtime.queue, ArqQueue)
    assert await runtime.queue.enqueue("sample_jobs.record", 7) is True
    assert await runtime.queue.enqueue("sample_jobs.enqueue_other", 8) is True
    worker = await burst(runtime)
    assert (worker.jobs_complete, worker.jobs_retried, worker.jobs_failed) == (3, 0, 0)
    assert sorted((c["task"], c["args"], c["job_try"]) for c in sample.calls) == [
        ("enqueue_other", (8,), 1), ("record", (7,), 1), ("record", (8,), 1),
    ]


async def test_retries_with_growing_backoff_on_arq(make_jobs_runtime, database_url, redis_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    sample.fail_first["flaky"] = 3
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, redis_url=redis_url,
                                 jobs={"retry_backoff_seconds": 0.1})
    await runtime.queue.enqueue("sample_jobs.flaky", "k")
    await runtime.queue.enqueue("sample_jobs.always_fails")
    worker = await burst(runtime)
    flaky = sample.attempts("flaky")
    assert [a["job_try"] for a in flaky] == [1, 2, 3, 4]
    gaps = [b["at"] - a["at"] for a, b in zip(flaky, flaky[1:])]
    for number, gap in enumerate(gaps):
        assert gap >= 0.1 * 2 ** number * 0.9, gaps
    assert [a["job_try"] for a in sample.attempts("always_fails")] == [1, 2, 3], "max_tries=3, then failed"
    assert worker.jobs_complete == 1
    assert worker.jobs_retried == 3 + 2
    assert worker.jobs_failed == 1


async def test_job_id_dedupes_on_arq(make_jobs_runtime, database_url, redis_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, redis_url=redis_url)
    assert await runtime.queue.enqueue("sample_jobs.record", 1, _job_id="sample_jobs:once") is True
    assert await runtime.queue.enqueue("sample_jobs.record", 2, _job_id="sample_jobs:once") is False, "queued"
    worker = await burst(runtime)
    assert worker.jobs_complete == 1
    assert await runtime.queue.enqueue("sample_jobs.record", 3, _job_id="sample_jobs:once") is False, "result kept"
    await burst(runtime)
    assert [c["args"] for c in sample.calls] == [(1,)]


async def test_job_ids_are_namespaced_by_queue(make_jobs_runtime, database_url, redis_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    first = await make_jobs_runtime(plugins=[sample], database_url=database_url, redis_url=redis_url)
    second = await make_jobs_runtime(plugins=[sample], database_url=database_url, redis_url=redis_url)
    assert first.settings.jobs.queue_name != second.settings.jobs.queue_name
    assert await first.queue.enqueue("sample_jobs.record", "first", _job_id="sample_jobs:shared") is True
    assert await second.queue.enqueue("sample_jobs.record", "second", _job_id="sample_jobs:shared") is True
    client = Redis.from_url(redis_url)
    try:
        for runtime in (first, second):
            assert await client.exists(f"arq:job:{runtime.settings.jobs.queue_name}:sample_jobs:shared") == 1
    finally:
        await client.aclose()
    assert (await burst(first)).jobs_complete == 1
    assert (await burst(second)).jobs_complete == 1
    assert sorted(c["args"][0] for c in sample.calls) == ["first", "second"]
    assert {c["job_id"] for c in sample.calls} == {
        f"{first.settings.jobs.queue_name}:sample_jobs:shared", f"{second.settings.jobs.queue_name}:sample_jobs:shared",
    }


async def test_job_of_a_disabled_plugin_is_dropped_on_arq(make_jobs_runtime, database_url, redis_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, redis_url=redis_url)
    await runtime.host.disable("sample_jobs")
    await runtime.queue.enqueue("sample_jobs.record", 1)
    worker = await burst(runtime)
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    assert sample.calls == []
    assert runtime.metrics.registry.get_sample_value(
        "shopwright_jobs_total", {"job": "sample_jobs.record", "outcome": "dropped"}) == 1


async def test_refused_jobs_are_not_registered_with_the_worker(make_jobs_runtime, database_url, redis_url, load_plugin):
    runtime = await make_jobs_runtime(plugins=[load_plugin("sample_badnames")], database_url=database_url,
                                 redis_url=redis_url)
    names = {function.name for function in worker_settings(runtime, burst=True)["functions"]}
    assert "sample_badnames.ok" in names and "core.deliver_event" in names
    assert not names & {"other_plugin.steal", "no_prefix", "sample_badnames.", "sample_badnames.sync", "core.pretend"}
    assert len(runtime.queue.refused["sample_badnames"]) == 6


async def test_cron_job_runs_on_a_worker_with_a_namespaced_job_id(make_jobs_runtime, database_url, redis_url, load_plugin):
    sample = load_plugin("sample_cron")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, redis_url=redis_url,
                                 jobs={"max_tries": 4})
    queue_name = runtime.settings.jobs.queue_name
    settings = worker_settings(runtime)
    crons = {job.name: job for job in settings["cron_jobs"]}
    assert {f"{queue_name}:sample_cron.tick", f"{queue_name}:core.relay_outbox"} <= set(crons)
    assert crons[f"{queue_name}:sample_cron.tick"].max_tries == 4
    assert crons[f"{queue_name}:core.relay_outbox"].max_tries == 1
    # A burst worker runs what is queued and never schedules cron jobs itself.
    assert worker_settings(runtime, burst=True)["cron_jobs"] == []

    worker = Worker(**{**worker_settings(runtime), "handle_signals": False})
    task = asyncio.create_task(worker.main())
    try:
        deadline = time.monotonic() + 4
        while not sample.ticks and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        # Stop polling, let a tick that just started finish, then close:
        # arq's close() cancels running jobs and re-raises their cancellation.
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
        await worker.close()
    assert sample.ticks, "the cron job ran within 4 s"
    assert sample.ticks[0]["job_id"].startswith(f"{queue_name}:sample_cron.tick:")
