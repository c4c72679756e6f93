"""The in-process runner (no Redis URL): runs, dedupe, retries, cron, disabled plugins, names."""
from __future__ import annotations

import asyncio
import time

import pytest

from engine.jobs.local import LocalRunner
from engine.jobs.registry import JobRegistrationError, UnknownJob, collect_jobs


def metric(runtime, job: str, outcome: str) -> float:
    value = runtime.metrics.registry.get_sample_value("shopwright_jobs_total", {"job": job, "outcome": outcome})
    return value or 0


async def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_a_job_runs_in_process(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url)
    assert isinstance(runtime.queue, LocalRunner)
    assert await runtime.queue.enqueue("sample_jobs.record", 7) is True
    assert await runtime.queue.enqueue("sample_jobs.enqueue_other", 8) is True
    await runtime.queue.drain()
    assert sorted((c["task"], c["args"], c["job_try"]) for c in sample.calls) == [
        ("enqueue_other", (8,), 1), ("record", (7,), 1), ("record", (8,), 1),
    ]
    assert metric(runtime, "sample_jobs.record", "succeeded") == 2
    assert runtime.queue.jobs["sample_jobs:from:8"].result == 8


async def test_unknown_job_is_refused_at_enqueue(make_jobs_runtime, database_url, load_plugin):
    runtime = await make_jobs_runtime(plugins=[load_plugin("sample_jobs")], database_url=database_url)
    with pytest.raises(UnknownJob, match="no job named 'sample_jobs.nope'"):
        await runtime.queue.enqueue("sample_jobs.nope")


async def test_job_id_dedupes_while_queued_running_and_kept(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url)
    queue = runtime.queue
    assert await queue.enqueue("sample_jobs.gated", _job_id="sample_jobs:gate") is True
    assert await queue.enqueue("sample_jobs.gated", _job_id="sample_jobs:gate") is False, "queued"
    await wait_until(lambda: queue.job_state("sample_jobs:gate") == "running")
    assert await queue.enqueue("sample_jobs.gated", _job_id="sample_jobs:gate") is False, "running"
    sample.gate.set()
    await queue.drain()
    assert queue.job_state("sample_jobs:gate") == "finished"
    assert await queue.enqueue("sample_jobs.gated", _job_id="sample_jobs:gate") is False, "result kept"
    assert await queue.enqueue("sample_jobs.gated", _job_id="sample_jobs:other") is True
    await queue.drain()
    assert [c["job_id"] for c in sample.attempts("gated")] == ["sample_jobs:gate", "sample_jobs:other"]


async def test_job_id_can_run_again_once_its_result_is_no_longer_kept(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, jobs={"keep_result_seconds": 0})
    assert await runtime.queue.enqueue("sample_jobs.record", 1, _job_id="sample_jobs:once") is True
    assert await runtime.queue.enqueue("sample_jobs.record", 1, _job_id="sample_jobs:once") is False
    await runtime.queue.drain()
    assert await runtime.queue.enqueue("sample_jobs.record", 2, _job_id="sample_jobs:once") is True
    await runtime.queue.drain()
    assert [c["args"] for c in sample.calls] == [(1,), (2,)]


async def test_exception_is_retried_with_growing_backoff(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_jobs")
    sample.fail_first["flaky"] = 3
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, jobs={"retry_backoff_seconds": 0.05})
    await runtime.queue.enqueue("sample_jobs.flaky", "k", _job_id="sample_jobs:flaky")
    await runtime.queue.drain()
    attempts = sample.attempts("flaky")
    assert [a["job_try"] for a in attempts] == [1, 2, 3, 4]
    gaps = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:])]
    for number, gap in enumerate(gaps):
        assert gap >= 0.05 * 2 ** number * 0.9, gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps
    job = runtime.queue.jobs["sample_jobs:flaky"]
    assert job.success is True and job.result == "k"
    assert metric(runtime, "sample_jobs.flaky", "retried") == 3
    assert metric(runtime, "sample_jobs.flaky", "succeeded") == 1


async def test_job_fails_for_good_after_max_tries(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, jobs={"retry_backoff_seconds": 0.02})
    await runtime.queue.enqueue("sample_jobs.always_fails", _job_id="sample_jobs:doomed")
    await runtime.queue.drain()
    await asyncio.sleep(0.2)
    assert [a["job_try"] for a in sample.attempts("always_fails")] == [1, 2, 3], "max_tries=3, then no more"
    job = runtime.queue.jobs["sample_jobs:doomed"]
    assert job.success is False and "always fails" in str(job.result)
    assert metric(runtime, "sample_jobs.always_fails", "retried") == 2
    assert metric(runtime, "sample_jobs.always_fails", "failed") == 1
    assert await runtime.queue.enqueue("sample_jobs.always_fails", _job_id="sample_jobs:doomed") is False


async def test_timeout_counts_as_a_failure_and_is_retried(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url, jobs={"retry_backoff_seconds": 0.01})
    started = time.monotonic()
    await runtime.queue.enqueue("sample_jobs.slow", 30, _job_id="sample_jobs:slow")
    await runtime.queue.drain(timeout=10)
    assert time.monotonic() - started < 5, "the 1 s timeout cut both tries short"
    assert [a["job_try"] for a in sample.attempts("slow")] == [1, 2]
    assert runtime.queue.jobs["sample_jobs:slow"].success is False
    assert metric(runtime, "sample_jobs.slow", "failed") == 1


async def test_cron_job_is_registered_and_runs(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_cron")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url)
    crons = {spec.name: spec for spec in runtime.queue.crons}
    assert {"sample_cron.tick", "core.relay_outbox"} <= set(crons)
    assert crons["sample_cron.tick"].schedule == {"second": set(range(60))}
    await wait_until(lambda: len(sample.ticks) >= 1, timeout=30)
    assert sample.ticks[0]["job_id"].startswith("cron:sample_cron.tick:")


async def test_job_of_a_disabled_plugin_is_dropped(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url)
    await runtime.host.disable("sample_jobs")
    assert await runtime.queue.enqueue("sample_jobs.record", 1) is True
    await runtime.queue.drain()
    assert sample.calls == []
    assert metric(runtime, "sample_jobs.record", "dropped") == 1
    await runtime.host.enable("sample_jobs")
    await runtime.queue.enqueue("sample_jobs.record", 2)
    await runtime.queue.drain()
    assert [c["args"] for c in sample.calls] == [(2,)], "enabled again: no restart needed"


async def test_job_names_must_carry_the_plugin_prefix(make_jobs_runtime, database_url, load_plugin):
    bad = load_plugin("sample_badnames")
    runtime = await make_jobs_runtime(plugins=[bad], database_url=database_url)
    with pytest.raises(JobRegistrationError) as caught:
        collect_jobs(runtime.host)
    assert str(caught.value) == (
        "plugin 'sample_badnames': job 'other_plugin.steal' refused: job names must be sample_badnames.<task> "
        "(task: letters, digits and underscores)"
    )
    # The shop still starts; the bad definitions are refused one by one, with the reason.
    refused = runtime.queue.refused["sample_badnames"]
    assert len(refused) == 6, refused
    for name in ("other_plugin.steal", "no_prefix", "sample_badnames.", "core.pretend"):
        assert any(f"job {name!r} refused: job names must be sample_badnames.<task>" in m for m in refused), name
    assert any("'sample_badnames.sync' refused: func must be `async def" in m for m in refused)
    assert any("'sample_badnames.bad_cron' refused: unknown cron field(s) ['fortnight']" in m for m in refused)
    assert set(runtime.queue.refused) == {"sample_badnames"}, "core jobs are all valid"
    with pytest.raises(UnknownJob):
        await runtime.queue.enqueue("other_plugin.steal")
    await runtime.queue.enqueue("sample_badnames.ok")
    await runtime.queue.drain()
    assert bad.ran == ["ok"]


async def test_closing_the_runner_never_hangs_on_a_job(make_jobs_runtime, database_url, load_plugin):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], database_url=database_url)
    queue = runtime.queue
    await queue.enqueue("sample_jobs.record", 1, _job_id="sample_jobs:later", _defer_by=30)
    await queue.enqueue("sample_jobs.stubborn", _job_id="sample_jobs:stubborn")
    await wait_until(lambda: queue.job_state("sample_jobs:stubborn") == "running")
    consumers = list(queue._tasks)
    started = time.monotonic()
    await queue.close()
    try:
        assert time.monotonic() - started < 4, "closing waits LOCAL_CLOSE_GRACE_SECONDS, not the job's 10 s"
        assert queue.job_state("sample_jobs:stubborn") is None and queue.job_state("sample_jobs:later") is None
        with pytest.raises(RuntimeError, match="not running"):
            await queue.ping()
    finally:
        for task in consumers:
            task.cancel()
        await asyncio.gather(*consumers, return_exceptions=True)
    assert [c["task"] for c in sample.calls] == ["stubborn"], "the deferred job was dropped, never run"
