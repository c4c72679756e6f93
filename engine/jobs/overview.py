"""What staff see of the background work, and the one thing they may do to it:
retry a job that failed for good.

:func:`overview` reads either runner the same way — the in-process runner's
memory of its jobs, or arq's queue and kept results in Redis for this shop's
queue — into :class:`JobRow` lists (queued, running, failed, succeeded),
the cron schedules with their last and next run, and the failures per plugin
(a plugin's *dead letters*: its jobs that failed for good, while their results
are kept, ``jobs.keep_result_seconds``). Job logs stay the full record.

:func:`retry` enqueues a failed job again, with its arguments, under the job
id ``retry:<failed job id>``: asking twice (a double click, a replayed form)
queues it once while the retry is queued, running or kept.

An unreachable Redis raises :class:`~engine.jobs.arq_queue.QueueUnavailable`.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import structlog
from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

from engine.jobs.arq_queue import QueueUnavailable
from engine.jobs.local import LocalRunner
from engine.jobs.registry import build_functions
from engine.outbox import lag_seconds, pending_count

log = structlog.get_logger("shopwright.jobs")

#: the longest error text kept per job
ERROR_LIMIT = 500
RETRY_PREFIX = "retry:"
#: /metrics reads the whole queue and its kept results (the /admin/jobs
#: figures) at most this often per process
OVERVIEW_SCRAPE_INTERVAL_SECONDS = 30.0


@dataclass(frozen=True)
class JobRow:
    job_id: str  # as the caller named it (without the queue's namespace)
    job: str
    state: str  # queued, deferred, running, failed, succeeded
    tries: int
    error: str = ""
    at: datetime | None = None  # enqueued (queued, running) or finished

    @property
    def plugin(self) -> str:
        """The plugin the job belongs to (``<plugin>.<task>``; ``core`` for core jobs)."""
        return self.job.split(":")[-1].split(".", 1)[0]


@dataclass(frozen=True)
class CronRow:
    job: str
    schedule: dict[str, Any]
    last_run: datetime | None
    next_run: datetime | None


@dataclass
class Overview:
    runner: str
    queued: list[JobRow] = field(default_factory=list)
    running: list[JobRow] = field(default_factory=list)
    failed: list[JobRow] = field(default_factory=list)
    succeeded: list[JobRow] = field(default_factory=list)
    crons: list[CronRow] = field(default_factory=list)

    def dead_letters(self) -> dict[str, int]:
        """Jobs that failed for good, counted by plugin."""
        counts: dict[str, int] = {}
        for row in self.failed:
            counts[row.plugin] = counts.get(row.plugin, 0) + 1
        return dict(sorted(counts.items()))


class NotRetryable(LookupError):
    """No failed job with that id is known (any more)."""


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.astimezone(timezone.utc)
    return value


def _newest_first(rows: list[JobRow]) -> list[JobRow]:
    return sorted(rows, key=lambda row: row.at or datetime.min.replace(tzinfo=timezone.utc), reverse=True)


def _local_rows(queue: LocalRunner) -> list[tuple[JobRow, tuple]]:
    offset = time.time() - time.monotonic()
    rows = []
    for job_id, job in list(queue.jobs.items()):
        if job.state == "finished":
            state = "succeeded" if job.success else "failed"
            at = datetime.fromtimestamp(job.finished_at + offset, timezone.utc) if job.finished_at else None
            error = "" if job.success else repr(job.result)[:ERROR_LIMIT]
        else:
            state, at, error = job.state, None, ""
        rows.append((JobRow(job_id, job.name, state, job.job_try, error, at), job.args))
    return rows


async def _arq_rows(queue) -> list[tuple[JobRow, tuple]]:
    await queue.start()
    pool = queue.pool
    prefix = queue.queue_name + ":"
    rows = []
    now_ms = time.time() * 1000
    queued = await pool.queued_jobs(queue_name=queue.queue_name)
    async with pool.pipeline(transaction=False) as pipe:  # one round trip, however many jobs wait
        for job in queued:
            pipe.exists(in_progress_key_prefix + job.job_id)
        in_progress = await pipe.execute() if queued else []
    for job, running in zip(queued, in_progress):
        state = "running" if running else ("deferred" if job.score and job.score > now_ms else "queued")
        rows.append((JobRow(job.job_id.removeprefix(prefix), job.function.removeprefix(prefix), state, job.job_try,
                            at=_aware(job.enqueue_time)), tuple(job.args)))
    for result in await pool.all_job_results():
        if getattr(result, "queue_name", None) != queue.queue_name:
            continue
        error = "" if result.success else repr(result.result)[:ERROR_LIMIT]
        rows.append((JobRow((result.job_id or "").removeprefix(prefix), result.function.removeprefix(prefix),
                             "succeeded" if result.success else "failed", result.job_try, error,
                             _aware(result.finish_time)), tuple(result.args)))
    return rows


async def _rows(runtime) -> list[tuple[JobRow, tuple]]:
    queue = runtime.queue
    if isinstance(queue, LocalRunner):
        return _local_rows(queue)
    try:
        return await _arq_rows(queue)
    except (RedisError, OSError, asyncio.TimeoutError) as exc:  # QueueUnavailable is an OSError too
        if isinstance(exc, QueueUnavailable):
            raise
        raise QueueUnavailable(f"job queue (Redis) unavailable: {type(exc).__name__}: {exc}") from exc


def _crons(runtime, rows: list[JobRow]) -> list[CronRow]:
    specs = runtime.queue.crons if isinstance(runtime.queue, LocalRunner) else build_functions(runtime)[1]
    out = []
    for spec in specs:
        runs = [row.at for row in rows if row.job == spec.name and row.at and row.state in ("succeeded", "failed")]
        schedule = spec.cron_job()
        schedule.calculate_next(datetime.now())
        out.append(CronRow(spec.name, dict(spec.schedule), max(runs) if runs else None, _aware(schedule.next_run)))
    return sorted(out, key=lambda row: row.job)


async def overview(runtime, limit: int = 50) -> Overview:
    """The queue as it stands: at most ``limit`` jobs of each state, newest first."""
    rows = [row for row, _ in await _rows(runtime)]
    result = Overview(runner=runtime.queue.kind, crons=_crons(runtime, rows))
    for state, bucket in (("queued", result.queued), ("deferred", result.queued), ("running", result.running),
                          ("failed", result.failed), ("succeeded", result.succeeded)):
        bucket.extend(row for row in rows if row.state == state)
    for name in ("queued", "running", "failed", "succeeded"):
        setattr(result, name, _newest_first(getattr(result, name))[:limit])
    return result


async def retry(runtime, job_id: str) -> bool:
    """Enqueue failed job ``job_id`` again with its arguments, as
    ``retry:<job_id>``; False when that retry is already queued, running or
    kept. Raises :class:`NotRetryable` when no such failed job is known."""
    for row, args in await _rows(runtime):
        if row.job_id == job_id and row.state == "failed":
            return await runtime.queue.enqueue(row.job, *args, _job_id=RETRY_PREFIX + job_id)
    raise NotRetryable(f"no failed job {job_id!r} is known (its result may have expired)")


async def recent_failures(runtime, limit: int) -> list[dict[str, Any]]:
    """Jobs that failed for good, newest first, as the JSON API shows them."""
    failed = (await overview(runtime, limit)).failed
    return [{"job_id": row.job_id, "job": row.job, "tries": row.tries, "error": row.error,
             "finished_at": row.at.isoformat() if row.at else None} for row in failed]


async def _arq_waiting(queue) -> tuple[int, int, float]:
    """:meth:`LocalRunner.waiting` for arq: three sorted-set reads of the
    queue (scores are the ms time a job is due), bounded however long it is."""
    await queue.start()
    now_ms = time.time() * 1000
    async with queue.pool.pipeline(transaction=False) as pipe:
        pipe.zcard(queue.queue_name)
        pipe.zcount(queue.queue_name, "-inf", now_ms)
        pipe.zrangebyscore(queue.queue_name, "-inf", now_ms, start=0, num=1, withscores=True)
        total, due, oldest = await pipe.execute()
    return due, total - due, (now_ms - oldest[0][1]) / 1000 if oldest else 0.0


async def observe_waiting(runtime) -> None:
    """Set the queue depth and oldest-job-age gauges and the outbox lag: a
    few bounded reads, whatever the backlog (the queue's are skipped while
    Redis cannot be reached)."""
    metrics = runtime.metrics
    metrics.outbox_lag.set(await lag_seconds())
    queue = runtime.queue
    try:
        due, deferred, oldest = queue.waiting() if isinstance(queue, LocalRunner) else await _arq_waiting(queue)
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        log.warning("metrics.queue_unavailable", error=repr(exc))
        return
    metrics.queue_depth.labels("due").set(due)
    metrics.queue_depth.labels("deferred").set(deferred)
    metrics.queue_oldest_age.set(oldest)


async def observe(runtime, now: float | None = None) -> None:
    """Set the outbox backlog and :func:`observe_waiting`'s gauges, and — at
    most once every :data:`OVERVIEW_SCRAPE_INTERVAL_SECONDS` per process (it
    reads every queued job and kept result, as /admin/jobs does, so several
    scrapers never repeat it back to back) — the job gauges to what
    :func:`overview` counts (all jobs, not only ``limit``). The job gauges are
    left as they were in between and while Redis cannot be reached. ``now``:
    monotonic seconds (tests)."""
    metrics = runtime.metrics
    metrics.outbox_pending.set(await pending_count())
    await observe_waiting(runtime)
    now = time.monotonic() if now is None else now
    if metrics.jobs_read_at is not None and now - metrics.jobs_read_at < OVERVIEW_SCRAPE_INTERVAL_SECONDS:
        return
    try:
        rows = [row for row, _ in await _rows(runtime)]
    except QueueUnavailable:
        return
    metrics.jobs_read_at = now
    counts = {state: sum(1 for row in rows if row.state == state) for state in ("queued", "deferred", "running",
                                                                                "failed")}
    metrics.jobs_queued.set(counts["queued"] + counts["deferred"])
    metrics.jobs_running.set(counts["running"])
    metrics.jobs_failed.set(counts["failed"])
    metrics.jobs_dead_letters.clear()
    for plugin, count in Overview(runtime.queue.kind, failed=[row for row in rows if row.state == "failed"]
                                  ).dead_letters().items():
        metrics.jobs_dead_letters.labels(plugin).set(count)
