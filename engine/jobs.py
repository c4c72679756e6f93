"""Background jobs: the arq worker, the in-process runner, and the outbox relay.

Jobs come from plugins (core defaults included) through ``jobs_register``.
A job function is ``async def func(ctx, *args)``; ``ctx`` holds ``runtime``,
``job_id``, ``job_try`` and ``queue``. The same retry rule applies on both
runners: an exception is retried with exponential backoff
(``jobs.retry_backoff_seconds × 2^(try-1)``) until ``max_tries``, then the job
fails for good and is logged. Enqueuing with ``_job_id`` dedupes while the job
is queued or its result is kept (``jobs.keep_result_seconds``).

With ``redis_url`` set, jobs go to arq on Redis and run in ``shopwright worker``
processes; without it an in-process runner executes them in the web process.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any, Callable

import structlog
from arq import Retry
from arq.connections import RedisSettings, create_pool
from arq.cron import CronJob, cron
from arq.worker import Worker, func

from engine.protocols import JobDefinition

log = structlog.get_logger("shopwright.jobs")


class JobRegistrationError(Exception):
    pass


# ------------------------------------------------------------------ registry
def collect_jobs(host) -> dict[str, tuple[str, JobDefinition]]:
    """Every job of every usable installed plugin: ``{job name: (plugin, definition)}``.

    Jobs of disabled plugins are registered too, and dropped when they run, so
    enabling a plugin needs no worker restart.
    """
    jobs: dict[str, tuple[str, JobDefinition]] = {}
    for plugin, definitions in host.all_call_sync("jobs_register"):
        for definition in definitions:
            if not isinstance(definition, JobDefinition):
                raise JobRegistrationError(f"plugin {plugin!r} returned {definition!r}, not a JobDefinition")
            prefix = "core." if host.installed[plugin].core else f"{plugin}."
            if not definition.name.startswith(prefix):
                raise JobRegistrationError(f"job {definition.name!r} of plugin {plugin!r} must be named {prefix}<task>")
            if definition.name in jobs:
                raise JobRegistrationError(f"job {definition.name!r} registered twice")
            jobs[definition.name] = (plugin, definition)
    return jobs


def backoff_seconds(settings, job_try: int) -> float:
    return settings.jobs.retry_backoff_seconds * (2 ** max(job_try - 1, 0))


def wrap_job(runtime, plugin: str, definition: JobDefinition) -> Callable:
    """The function both runners execute: plugin-enabled check, retries, metrics."""
    settings = runtime.settings
    max_tries = definition.max_tries or settings.jobs.max_tries
    is_core = runtime.host.installed[plugin].core

    async def run(ctx: dict, *args: Any, **kwargs: Any) -> Any:
        ctx = {**ctx, "runtime": runtime, "queue": runtime.queue}
        job_try = ctx.get("job_try", 1)
        if not is_core and not runtime.host.is_active(plugin):
            log.warning("job.dropped", job=definition.name, plugin=plugin, reason="plugin disabled")
            runtime.metrics.jobs.labels(definition.name, "dropped").inc()
            return None
        try:
            result = await definition.func(ctx, *args, **kwargs)
        except Retry:
            runtime.metrics.jobs.labels(definition.name, "retried").inc()
            raise
        except Exception as exc:
            if job_try < max_tries:
                delay = backoff_seconds(settings, job_try)
                log.warning("job.retry", job=definition.name, plugin=plugin, job_try=job_try, delay=delay, error=repr(exc))
                runtime.metrics.jobs.labels(definition.name, "retried").inc()
                raise Retry(defer=delay) from exc
            log.error("job.failed", job=definition.name, plugin=plugin, job_try=job_try, error=repr(exc))
            runtime.metrics.jobs.labels(definition.name, "failed").inc()
            raise
        runtime.metrics.jobs.labels(definition.name, "succeeded").inc()
        return result

    run.__qualname__ = run.__name__ = definition.name.replace(".", "_")
    run.max_tries = max_tries
    return run


# ------------------------------------------------------------------ queues
class ArqQueue:
    """Enqueue onto arq/Redis. ``enqueue`` returns False when deduped by job id."""

    kind = "redis"

    def __init__(self, settings) -> None:
        self.settings = settings
        self.pool = None

    async def start(self) -> None:
        redis_settings = RedisSettings.from_dsn(self.settings.redis_url)
        # Fail fast: the relay retries on its own schedule, the request must not wait.
        redis_settings.conn_retries = 0
        redis_settings.conn_timeout = 2
        self.pool = await create_pool(
            redis_settings,
            default_queue_name=self.settings.jobs.queue_name,
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()

    async def enqueue(self, name: str, *args: Any, _job_id: str | None = None, _defer_by: float | None = None) -> bool:
        # arq's job keys are global to the Redis database: namespace ids by queue.
        job_id = f"{self.settings.jobs.queue_name}:{_job_id}" if _job_id else None
        job = await self.pool.enqueue_job(name, *args, _job_id=job_id, _defer_by=_defer_by)
        return job is not None

    async def ping(self) -> None:
        await self.pool.ping()


class LocalRunner:
    """In-process job runner with arq's semantics: job-id dedupe while queued or
    kept, retries with the same backoff, cron jobs. Used when no Redis URL is set."""

    kind = "in-process"

    def __init__(self, settings) -> None:
        self.settings = settings
        self.functions: dict[str, Callable] = {}
        self.crons: list[CronJob] = []
        self._queue: asyncio.Queue = asyncio.Queue()
        self._ids: dict[str, float] = {}  # job id -> expiry (monotonic), inf while queued
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self.results: dict[str, Any] = {}

    def register(self, functions: dict[str, Callable], crons: list[CronJob]) -> None:
        self.functions = functions
        self.crons = crons

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._work(), name="shopwright-local-jobs"))
        if self.crons:
            self._tasks.append(asyncio.create_task(self._cron_loop(), name="shopwright-local-cron"))

    async def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def ping(self) -> None:
        if not self._tasks or self._tasks[0].done():
            raise RuntimeError("in-process job runner is not running")

    async def enqueue(self, name: str, *args: Any, _job_id: str | None = None, _defer_by: float | None = None) -> bool:
        if name not in self.functions:
            raise KeyError(f"no job named {name!r}")
        now = time.monotonic()
        job_id = _job_id or f"local:{id(args)}:{now}"
        if self._ids.get(job_id, 0) > now:
            return False
        self._ids[job_id] = float("inf")
        self._idle.clear()
        item = (name, args, job_id, 1)
        if _defer_by:
            self._later(_defer_by, item)
        else:
            self._queue.put_nowait(item)
        return True

    def _later(self, delay: float, item) -> None:
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(timer)
            self._queue.put_nowait(item)

        timer = loop.call_later(delay, fire)
        self._timers.add(timer)

    async def _work(self) -> None:
        while True:
            name, args, job_id, job_try = await self._queue.get()
            self._running += 1
            try:
                await self._run_one(name, args, job_id, job_try)
            finally:
                self._running -= 1
                if self._queue.empty() and not self._timers and self._running == 0:
                    self._idle.set()

    async def _run_one(self, name: str, args: tuple, job_id: str, job_try: int) -> None:
        ctx = {"job_id": job_id, "job_try": job_try, "enqueue_time": datetime.now()}
        try:
            result = await asyncio.wait_for(self.functions[name](ctx, *args), self.settings.jobs.job_timeout_seconds)
        except Retry as retry:
            max_tries = getattr(self.functions[name], "max_tries", self.settings.jobs.max_tries)
            if job_try < max_tries:
                self._later((retry.defer_score or 0) / 1000, (name, args, job_id, job_try + 1))
                return
            result = retry
        except Exception as exc:  # already logged by the wrapper
            result = exc
        self.results[job_id] = result
        self._ids[job_id] = time.monotonic() + self.settings.jobs.keep_result_seconds

    async def _cron_loop(self) -> None:
        for job in self.crons:
            job.calculate_next(datetime.now())
        while True:
            await asyncio.sleep(0.5)
            now = datetime.now()
            for job in self.crons:
                if job.next_run and job.next_run <= now:
                    job.calculate_next(now)
                    await self.enqueue(job.name, _job_id=f"cron:{job.name}:{int(now.timestamp())}")

    async def drain(self, timeout: float = 30) -> None:
        """Wait until no job is queued, deferred or running (tests, CLI)."""
        await asyncio.wait_for(self._idle.wait(), timeout)


# ------------------------------------------------------------------ wiring
def build_functions(runtime) -> tuple[dict[str, Callable], list[CronJob]]:
    functions, crons = {}, []
    for name, (plugin, definition) in collect_jobs(runtime.host).items():
        wrapped = wrap_job(runtime, plugin, definition)
        functions[name] = wrapped
        if definition.cron:
            crons.append(cron(wrapped, name=name, run_at_startup=False, unique=True, **dict(definition.cron)))
    return functions, crons


def make_queue(settings):
    return ArqQueue(settings) if settings.redis_url else LocalRunner(settings)


def worker_settings(runtime, burst: bool = False) -> dict[str, Any]:
    """arq worker settings (functions, cron jobs, Redis, queue, retries) for
    every job registered by the plugins, bound to ``runtime``."""
    if not runtime.settings.redis_url:
        raise RuntimeError("shopwright worker needs SHOPWRIGHT_REDIS_URL; without it jobs run in the web process")
    functions, crons = build_functions(runtime)
    settings = runtime.settings
    return dict(
        functions=[
            func(wrapped, name=name, max_tries=wrapped.max_tries, timeout=settings.jobs.job_timeout_seconds)
            for name, wrapped in functions.items()
        ],
        cron_jobs=crons,
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        queue_name=settings.jobs.queue_name,
        keep_result=settings.jobs.keep_result_seconds,
        burst=burst,
        handle_signals=not burst,
        poll_delay=0.2,
    )



def make_worker(runtime, burst: bool = False) -> Worker:
    """The arq Worker that ``shopwright worker`` runs."""
    return Worker(**worker_settings(runtime, burst=burst))
