"""Background jobs: job registry, the arq worker and the in-process runner.

Jobs come from plugins (core defaults included) through ``jobs_register``; a
job is named ``<plugin>.<task>`` (``core.<task>`` for core defaults). A job
function is ``async def func(ctx, *args)``; ``ctx`` holds ``runtime``,
``queue``, ``plugin``, ``job_name``, ``job_id`` and ``job_try``.

The same rules apply on both runners, because both run the function made by
:func:`wrap_job`:

- An exception (or running past the job's timeout) is retried after
  ``jobs.retry_backoff_seconds × 2^(try-1)`` seconds until ``max_tries``
  tries were made; then the job fails for good and is logged. A job may also
  ``raise arq.Retry(defer=...)`` to ask for another try on its own schedule.
- Enqueuing with ``_job_id`` dedupes: a second enqueue under the same id is
  refused (``enqueue`` returns False) while the job is queued, deferred or
  running, and for ``jobs.keep_result_seconds`` after it finished.
- A job of a disabled plugin is dropped when it comes up (not run, not
  retried), so enabling or disabling a plugin needs no worker restart.

Delivery is at least once: a worker killed mid-job leaves the job to be run
again (arq: after the job's timeout + 10 s), so job functions must be
idempotent.

With ``redis_url`` set, jobs go to arq on Redis (:class:`ArqQueue`) and run in
``shopwright worker`` processes (:func:`make_worker`); without it the
:class:`LocalRunner` executes them inside the web process.
"""
from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

import structlog
from arq import Retry
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.cron import CronJob, cron
from arq.worker import Worker, func
from redis.asyncio.retry import Retry as RedisRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine import PROJECT_NAME
from engine.protocols import JobDefinition
from engine.tasks import cancel_and_wait

log = structlog.get_logger("shopwright.jobs")

#: Jobs the in-process runner runs at the same time (arq's default ``max_jobs`` is 10).
LOCAL_CONCURRENCY = 10
#: arq's own timeout sits this far behind the job's timeout, which the wrapper enforces.
TIMEOUT_MARGIN_SECONDS = 5
#: How long closing the in-process runner waits for cancelled jobs to stop.
LOCAL_CLOSE_GRACE_SECONDS = 2.0
#: The in-process runner remembers finished jobs at least this long (outbox bookkeeping).
LOCAL_FINISHED_MEMORY_SECONDS = 600
CRON_FIELDS = {"month", "day", "weekday", "hour", "minute", "second", "microsecond"}


class JobRegistrationError(Exception):
    """A plugin's job definition is refused (bad name, not async, bad cron, duplicate)."""


class UnknownJob(LookupError):
    """No registered job has this name (never registered, or refused)."""


class QueueUnavailable(ConnectionError):
    """The job queue (Redis) cannot be reached; nothing was enqueued."""


class JobFailed(RuntimeError):
    """A job asked for another try (``Retry``) after its last allowed try."""


# ------------------------------------------------------------------ registry
def job_prefix(plugin_name: str, is_core: bool) -> str:
    """The prefix every job name of this plugin must carry."""
    return "core." if is_core else f"{plugin_name}."


def check_definition(plugin_name: str, is_core: bool, definition: Any) -> JobDefinition:
    """Validate one ``jobs_register`` result; raises :class:`JobRegistrationError`
    whose message names the plugin, the job and what is wrong."""
    if not isinstance(definition, JobDefinition):
        raise JobRegistrationError(
            f"plugin {plugin_name!r}: jobs_register returned {definition!r}, not an engine.protocols.JobDefinition"
        )
    prefix = job_prefix(plugin_name, is_core)
    name = definition.name
    task = name[len(prefix):] if isinstance(name, str) and name.startswith(prefix) else ""
    if not task or not task.replace("_", "a").isalnum():
        raise JobRegistrationError(
            f"plugin {plugin_name!r}: job {name!r} refused: job names must be {prefix}<task> "
            f"(task: letters, digits and underscores)"
        )
    if not inspect.iscoroutinefunction(definition.func):
        raise JobRegistrationError(f"plugin {plugin_name!r}: job {name!r} refused: func must be `async def func(ctx, ...)`")
    tries = definition.max_tries
    if tries is not None and (isinstance(tries, bool) or not isinstance(tries, int) or tries < 1):
        raise JobRegistrationError(f"plugin {plugin_name!r}: job {name!r} refused: max_tries must be an integer >= 1")
    timeout = definition.timeout_seconds
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise JobRegistrationError(f"plugin {plugin_name!r}: job {name!r} refused: timeout_seconds must be > 0")
    if definition.cron is not None:
        if not isinstance(definition.cron, Mapping):
            raise JobRegistrationError(f"plugin {plugin_name!r}: job {name!r} refused: cron must be a dict of cron fields")
        unknown = set(definition.cron) - CRON_FIELDS
        if unknown:
            raise JobRegistrationError(
                f"plugin {plugin_name!r}: job {name!r} refused: unknown cron field(s) {sorted(unknown)} "
                f"(known: {', '.join(sorted(CRON_FIELDS))})"
            )
    return definition


def _registrations(host) -> Iterable[tuple[str, bool, Callable]]:
    """``(plugin, is_core, jobs_register function)`` for every usable installed
    plugin, enabled or not."""
    for name, plugin in sorted(host.installed.items()):
        if plugin.error:
            continue
        function = getattr(plugin.obj, "jobs_register", None)
        if function is None or not hasattr(function, f"{PROJECT_NAME}_impl"):
            continue
        yield name, plugin.core, function


def collect_jobs(host, errors: dict[str, list[str]] | None = None) -> dict[str, tuple[str, JobDefinition]]:
    """Every job of every usable installed plugin: ``{job name: (plugin, definition)}``.

    Jobs of disabled plugins are registered too, and dropped when they run, so
    enabling a plugin needs no worker restart.

    With ``errors`` None the first bad definition raises
    :class:`JobRegistrationError`. With a dict, a bad definition (or a
    ``jobs_register`` that raises) is refused: its message is added under the
    plugin's name and logged, and every other job is still registered.
    """
    jobs: dict[str, tuple[str, JobDefinition]] = {}

    def refuse(plugin: str, message: str) -> None:
        if errors is None:
            raise JobRegistrationError(message)
        errors.setdefault(plugin, []).append(message)
        log.error("job.refused", plugin=plugin, error=message)

    for plugin, is_core, function in _registrations(host):
        try:
            definitions = function()
            if inspect.isawaitable(definitions):
                if hasattr(definitions, "close"):
                    definitions.close()  # never awaited: silence the warning
                raise JobRegistrationError(f"plugin {plugin!r}: jobs_register must be a plain function, not async")
        except JobRegistrationError as exc:
            refuse(plugin, str(exc))
            continue
        except Exception as exc:
            refuse(plugin, f"plugin {plugin!r}: jobs_register raised {type(exc).__name__}: {exc}")
            continue
        for definition in definitions or []:
            try:
                check_definition(plugin, is_core, definition)
                if definition.name in jobs:
                    raise JobRegistrationError(
                        f"plugin {plugin!r}: job {definition.name!r} refused: already registered by plugin "
                        f"{jobs[definition.name][0]!r}"
                    )
            except JobRegistrationError as exc:
                refuse(plugin, str(exc))
                continue
            jobs[definition.name] = (plugin, definition)
    return jobs


def backoff_seconds(settings, job_try: int) -> float:
    """Delay before try ``job_try + 1`` after try ``job_try`` failed."""
    return settings.jobs.retry_backoff_seconds * (2 ** max(job_try - 1, 0))


def wrap_job(runtime, plugin: str, definition: JobDefinition) -> Callable:
    """The function both runners execute: plugin-enabled check, timeout,
    retries with backoff, logging and metrics."""
    settings = runtime.settings
    max_tries = definition.max_tries or settings.jobs.max_tries
    timeout = definition.timeout_seconds or settings.jobs.job_timeout_seconds
    name = definition.name
    counter = runtime.metrics.jobs

    async def run(ctx: dict, *args: Any, **kwargs: Any) -> Any:
        ctx = {**ctx, "runtime": runtime, "queue": runtime.queue, "plugin": plugin, "job_name": name}
        job_try = ctx.get("job_try") or 1
        if not runtime.host.is_active(plugin):
            log.warning("job.dropped", job=name, plugin=plugin, job_id=ctx.get("job_id"), reason="plugin disabled")
            counter.labels(name, "dropped").inc()
            return None
        deadline = asyncio.timeout(timeout)  # not wait_for: it can swallow a cancellation
        try:
            async with deadline:
                result = await definition.func(ctx, *args, **kwargs)
        except Retry as retry:
            if job_try >= max_tries:
                log.error("job.failed", job=name, plugin=plugin, job_id=ctx.get("job_id"), job_try=job_try,
                          error="asked to retry after its last try")
                counter.labels(name, "failed").inc()
                raise JobFailed(f"job {name} asked to retry after its last try ({max_tries})") from retry
            counter.labels(name, "retried").inc()
            raise
        except Exception as exc:
            error = f"timed out after {timeout}s" if deadline.expired() else repr(exc)
            if job_try < max_tries:
                delay = backoff_seconds(settings, job_try)
                log.warning("job.retry", job=name, plugin=plugin, job_id=ctx.get("job_id"), job_try=job_try,
                            max_tries=max_tries, delay=delay, error=error)
                counter.labels(name, "retried").inc()
                raise Retry(defer=delay) from exc
            log.error("job.failed", job=name, plugin=plugin, job_id=ctx.get("job_id"), job_try=job_try, error=error)
            counter.labels(name, "failed").inc()
            raise
        counter.labels(name, "succeeded").inc()
        return result

    run.__qualname__ = run.__name__ = name.replace(".", "_")
    run.job_name = name
    run.max_tries = max_tries
    run.timeout_seconds = timeout
    return run


@dataclass
class CronSpec:
    """A periodic job: when it runs (arq ``cron`` fields) and what it runs."""

    name: str
    function: Callable
    schedule: dict[str, Any] = field(default_factory=dict)

    def cron_job(self, name: str | None = None, **extra: Any) -> CronJob:
        return cron(self.function, name=name or self.name, run_at_startup=False, unique=True,
                    **self.schedule, **extra)


def build_functions(runtime) -> tuple[dict[str, Callable], list[CronSpec]]:
    """Wrapped job functions by name, and the cron schedules, for ``runtime``.

    Refused definitions are logged and recorded in ``runtime.queue.refused``
    (``{plugin: [message, ...]}``); they never stop the shop from starting.
    """
    errors: dict[str, list[str]] = {}
    functions: dict[str, Callable] = {}
    crons: list[CronSpec] = []
    for name, (plugin, definition) in collect_jobs(runtime.host, errors).items():
        wrapped = wrap_job(runtime, plugin, definition)
        if definition.cron:
            try:
                spec = CronSpec(name, wrapped, dict(definition.cron))
                spec.cron_job()  # validates the field values
            except Exception as exc:
                message = f"plugin {plugin!r}: job {name!r} refused: bad cron schedule: {exc}"
                errors.setdefault(plugin, []).append(message)
                log.error("job.refused", plugin=plugin, error=message)
                continue
            crons.append(spec)
        functions[name] = wrapped
    runtime.queue.refused = errors
    return functions, crons


# ------------------------------------------------------------------ Redis queue
def _redis_settings(url: str, fail_fast: bool) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # A connection that died (Redis restarted) is retried once on a fresh one.
    settings.retry = RedisRetry(NoBackoff(), 1)
    settings.retry_on_error = [RedisConnectionError, RedisTimeoutError]
    if fail_fast:
        # The web process must not wait: the relay retries on its own schedule.
        settings.conn_retries = 0
        settings.conn_timeout = 2
    return settings


class ArqQueue:
    """Enqueue onto arq/Redis. Connects lazily and reconnects after an outage.

    Job ids are namespaced by queue name (``<queue>:<job id>``), since arq's
    job keys are global to the Redis database: shops (and test runs) sharing
    one Redis never dedupe each other's jobs.
    """

    kind = "redis"
    #: Enqueued jobs survive this process (Redis holds them).
    durable = True

    def __init__(self, settings) -> None:
        self.settings = settings
        self.queue_name = settings.jobs.queue_name
        self.pool: ArqRedis | None = None
        self.refused: dict[str, list[str]] = {}
        self._lock = asyncio.Lock()

    def job_id(self, job_id: str) -> str:
        """The id arq stores for the caller's ``_job_id``."""
        return f"{self.queue_name}:{job_id}"

    async def start(self) -> None:
        """Connect; raises :class:`QueueUnavailable` when Redis is down."""
        await self._connected()

    async def _connected(self) -> ArqRedis:
        if self.pool is not None:
            return self.pool
        async with self._lock:
            if self.pool is None:
                try:
                    self.pool = await create_pool(
                        _redis_settings(self.settings.redis_url, fail_fast=True),
                        default_queue_name=self.queue_name,
                    )
                except (RedisError, OSError, asyncio.TimeoutError) as exc:
                    raise QueueUnavailable(f"job queue (Redis) unavailable: {type(exc).__name__}: {exc}") from exc
        return self.pool

    async def close(self) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            await pool.aclose()

    async def enqueue(self, name: str, *args: Any, _job_id: str | None = None,
                      _defer_by: float | None = None) -> bool:
        """Queue job ``name``; False when a job with this ``_job_id`` is queued,
        running or its result is kept. Raises :class:`QueueUnavailable`."""
        pool = await self._connected()
        job_id = self.job_id(_job_id) if _job_id else None
        try:
            job = await pool.enqueue_job(name, *args, _job_id=job_id, _defer_by=_defer_by)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            raise QueueUnavailable(f"job queue (Redis) unavailable: {type(exc).__name__}: {exc}") from exc
        return job is not None

    async def ping(self) -> None:
        pool = await self._connected()
        try:
            await pool.ping()
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            raise QueueUnavailable(f"job queue (Redis) unavailable: {type(exc).__name__}: {exc}") from exc


# ------------------------------------------------------------------ in-process runner
@dataclass
class _LocalJob:
    name: str
    args: tuple
    job_try: int = 1
    state: str = "queued"  # queued | deferred | running | finished
    finished_at: float | None = None
    keep_until: float = float("inf")
    success: bool | None = None
    result: Any = None


class LocalRunner:
    """In-process job runner with arq's semantics: job-id dedupe while queued,
    running or kept, the same retries and backoff, cron jobs, up to
    :data:`LOCAL_CONCURRENCY` jobs at a time. Used when no Redis URL is set.

    Jobs live in memory: a process that stops loses its queued jobs. Events
    are safe anyway: the outbox relay marks an event relayed only once every
    job it caused has finished (:meth:`event_state`), so a restart relays it
    again. Run one web process without Redis (each process would run its own
    cron jobs and relay).
    """

    kind = "in-process"
    #: Queued jobs die with the process; see :meth:`event_state`.
    durable = False

    def __init__(self, settings, concurrency: int = LOCAL_CONCURRENCY) -> None:
        self.settings = settings
        self.concurrency = concurrency
        #: identifies this runner when it claims outbox events (see engine.outbox)
        self.claim_token = uuid.uuid4().hex
        self.claim_lease_seconds = float(settings.jobs.job_timeout_seconds) * 2
        self.functions: dict[str, Callable] = {}
        self.crons: list[CronSpec] = []
        self.refused: dict[str, list[str]] = {}
        self.jobs: dict[str, _LocalJob] = {}
        self._open: set[str] = set()  # ids of jobs not finished
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task] = []
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._last_prune = time.monotonic()
        self._generation = 0  # bumped by close(): consumers of an older one exit

    def register(self, functions: dict[str, Callable], crons: list[CronSpec]) -> None:
        self.functions = functions
        self.crons = crons

    async def start(self) -> None:
        if self._tasks:
            return
        for number in range(self.concurrency):
            self._tasks.append(asyncio.create_task(self._work(self._generation),
                                                   name=f"shopwright-local-jobs-{number}"))
        if self.crons:
            self._tasks.append(asyncio.create_task(self._cron_loop(), name="shopwright-local-cron"))

    async def close(self) -> None:
        """Stop: queued and deferred jobs are dropped, running ones cancelled. A
        job that does not stop within :data:`LOCAL_CLOSE_GRACE_SECONDS` of its
        cancellation (e.g. a client closing its connection politely) is left
        behind with a warning, so shutdown never hangs on it. Its event is
        relayed again after the restart."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._generation += 1
        stuck = await cancel_and_wait(self._tasks, LOCAL_CLOSE_GRACE_SECONDS)
        if stuck:
            running = sorted(f"{self.jobs[i].name} ({i})" for i in self._open
                             if i in self.jobs and self.jobs[i].state == "running")
            log.warning("jobs.close_abandoned", grace_seconds=LOCAL_CLOSE_GRACE_SECONDS, running=running)
        self._tasks.clear()
        for job_id in list(self._open):
            self.jobs.pop(job_id, None)
        self._open.clear()
        self._queue = asyncio.Queue()
        self._idle.set()

    async def ping(self) -> None:
        if not self._tasks or all(task.done() for task in self._tasks):
            raise RuntimeError("in-process job runner is not running")

    async def enqueue(self, name: str, *args: Any, _job_id: str | None = None,
                      _defer_by: float | None = None) -> bool:
        """Queue job ``name``; False when a job with this ``_job_id`` is queued,
        running or its result is kept. Raises :class:`UnknownJob`."""
        if name not in self.functions:
            raise UnknownJob(f"no job named {name!r} is registered (refused or not installed?)")
        now = time.monotonic()
        self._prune(now)
        job_id = _job_id or f"local:{uuid.uuid4().hex}"
        existing = self.jobs.get(job_id)
        if existing is not None and (existing.state != "finished" or existing.keep_until > now):
            return False
        self.jobs[job_id] = _LocalJob(name=name, args=args)
        self._open.add(job_id)
        self._idle.clear()
        self._schedule(job_id, _defer_by or 0)
        return True

    def _schedule(self, job_id: str, delay: float) -> None:
        job = self.jobs[job_id]
        if delay <= 0:
            job.state = "queued"
            self._queue.put_nowait(job_id)
            return
        job.state = "deferred"

        def fire() -> None:
            self._timers.pop(job_id, None)
            job.state = "queued"
            self._queue.put_nowait(job_id)

        self._timers[job_id] = asyncio.get_running_loop().call_later(delay, fire)

    async def _work(self, generation: int) -> None:
        queue = self._queue
        while generation == self._generation:
            job_id = await queue.get()
            job = self.jobs.get(job_id)
            if job is None or job.state != "queued":
                continue
            job.state = "running"
            await self._run_one(job_id, job)

    async def _run_one(self, job_id: str, job: _LocalJob) -> None:
        function = self.functions[job.name]
        ctx = {"job_id": job_id, "job_try": job.job_try, "enqueue_time": datetime.now()}
        backstop = getattr(function, "timeout_seconds", self.settings.jobs.job_timeout_seconds) + TIMEOUT_MARGIN_SECONDS
        try:
            async with asyncio.timeout(backstop):
                result = await function(ctx, *job.args)
        except Retry as retry:
            max_tries = getattr(function, "max_tries", self.settings.jobs.max_tries)
            if job.job_try < max_tries:
                job.job_try += 1
                self._schedule(job_id, (retry.defer_score or 0) / 1000)
                return
            self._finish(job_id, job, False, JobFailed(f"max {max_tries} tries exceeded"))
        except Exception as exc:  # logged by the wrapper
            self._finish(job_id, job, False, exc)
        else:
            self._finish(job_id, job, True, result)

    def _finish(self, job_id: str, job: _LocalJob, success: bool, result: Any) -> None:
        now = time.monotonic()
        job.state, job.success, job.result = "finished", success, result
        job.finished_at = now
        job.keep_until = now + self.settings.jobs.keep_result_seconds
        self._open.discard(job_id)
        if not self._open:
            self._idle.set()

    def _prune(self, now: float) -> None:
        """Forget finished jobs past their kept time and the bookkeeping window."""
        if now - self._last_prune < 10:
            return
        self._last_prune = now
        for job_id, job in list(self.jobs.items()):
            if job.state == "finished" and job.keep_until <= now and \
                    now - job.finished_at > LOCAL_FINISHED_MEMORY_SECONDS:
                del self.jobs[job_id]

    async def _cron_loop(self) -> None:
        jobs = [spec.cron_job() for spec in self.crons]
        for job in jobs:
            job.calculate_next(datetime.now())
        while True:
            await asyncio.sleep(0.2)
            now = datetime.now()
            for job in jobs:
                if job.next_run and job.next_run <= now:
                    due = job.next_run
                    job.calculate_next(now)
                    try:
                        await self.enqueue(job.name, _job_id=f"cron:{job.name}:{int(due.timestamp() * 1000)}")
                    except Exception as exc:
                        log.error("cron.enqueue_failed", job=job.name, error=repr(exc))

    # -------------------------------------------------------------- inspection
    def job_state(self, job_id: str) -> str | None:
        """``queued``, ``deferred``, ``running``, ``finished`` or None (unknown)."""
        job = self.jobs.get(job_id)
        return job.state if job else None

    def event_state(self, event_id: int) -> str:
        """Where the jobs of outbox event ``event_id`` stand: ``unknown`` (never
        dispatched here), ``pending`` (its dispatch job or a delivery job is not
        finished) or ``done`` (all finished, successfully or for good)."""
        from engine.outbox import event_job_id

        dispatch_id = event_job_id(event_id)
        dispatch = self.jobs.get(dispatch_id)
        if dispatch is None:
            return "unknown"
        prefix = dispatch_id + ":"
        if dispatch.state != "finished" or any(job_id.startswith(prefix) for job_id in self._open):
            return "pending"
        return "done"

    async def drain(self, timeout: float = 30) -> None:
        """Wait until no job is queued, deferred or running (tests, CLI)."""
        await asyncio.wait_for(self._idle.wait(), timeout)


# ------------------------------------------------------------------ wiring
def make_queue(settings):
    return ArqQueue(settings) if settings.redis_url else LocalRunner(settings)


def worker_settings(runtime, burst: bool = False) -> dict[str, Any]:
    """arq worker settings (functions, cron jobs, Redis, queue, retries) for
    every job registered by the plugins, bound to ``runtime``.

    Cron jobs are registered under ``<queue>:<job name>`` so their arq job
    ids (``<name>:<time>``) are namespaced by queue like every other job id.
    """
    if not runtime.settings.redis_url:
        raise RuntimeError("shopwright worker needs SHOPWRIGHT_REDIS_URL; without it jobs run in the web process")
    functions, crons = build_functions(runtime)
    settings = runtime.settings
    queue_name = settings.jobs.queue_name
    arq_functions = [
        func(wrapped, name=name, max_tries=wrapped.max_tries, timeout=wrapped.timeout_seconds + TIMEOUT_MARGIN_SECONDS)
        for name, wrapped in functions.items()
    ]
    cron_jobs = []
    for spec in crons:
        name = f"{queue_name}:{spec.name}"
        timeout = spec.function.timeout_seconds + TIMEOUT_MARGIN_SECONDS
        if burst:
            # A burst worker runs what is queued (cron runs another worker
            # enqueued included) and schedules nothing, or it would never end.
            arq_functions.append(func(spec.function, name=name, max_tries=spec.function.max_tries, timeout=timeout))
        else:
            cron_jobs.append(spec.cron_job(name=name, max_tries=spec.function.max_tries, timeout=timeout,
                                           keep_result=settings.jobs.keep_result_seconds))
    return dict(
        functions=arq_functions,
        cron_jobs=cron_jobs,
        redis_settings=_redis_settings(settings.redis_url, fail_fast=False),
        queue_name=queue_name,
        keep_result=settings.jobs.keep_result_seconds,
        max_tries=settings.jobs.max_tries,
        burst=burst,
        handle_signals=not burst,
        poll_delay=0.2,
    )


def make_worker(runtime, burst: bool = False) -> Worker:
    """The arq Worker that ``shopwright worker`` runs (``burst``: run what is
    queued, then return from ``main()``; call ``close()`` afterwards)."""
    return Worker(**worker_settings(runtime, burst=burst))
