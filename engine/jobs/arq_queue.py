"""Jobs on Redis: the arq queue a process enqueues onto, and the arq worker.

With ``redis_url`` set, every process enqueues through an :class:`ArqQueue`
and ``shopwright worker`` processes run the jobs (:func:`make_worker`, built
from :func:`worker_settings`). Enqueuing with ``_job_id`` dedupes: a second
enqueue under the same id is refused (``enqueue`` returns False) while the
job is queued, deferred or running, and for ``jobs.keep_result_seconds``
after it finished. Job ids, cron job names included, are namespaced by the
queue name. An unreachable Redis raises :class:`QueueUnavailable`; nothing is
enqueued then.
"""
from __future__ import annotations

import asyncio
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker, func
from redis.asyncio.retry import Retry as RedisRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine import tracing
from engine.jobs.registry import TIMEOUT_MARGIN_SECONDS, build_functions
from engine.jobs.worker import ShopWorker


class QueueUnavailable(ConnectionError):
    """The job queue (Redis) cannot be reached; nothing was enqueued."""


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
            job = await pool.enqueue_job(name, *args, _job_id=job_id, _defer_by=_defer_by, **tracing.job_kwargs())
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            raise QueueUnavailable(f"job queue (Redis) unavailable: {type(exc).__name__}: {exc}") from exc
        return job is not None

    async def ping(self) -> None:
        pool = await self._connected()
        try:
            await pool.ping()
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            raise QueueUnavailable(f"job queue (Redis) unavailable: {type(exc).__name__}: {exc}") from exc


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
        poll_delay=0.2,
    )


def make_worker(runtime, burst: bool = False) -> ShopWorker:
    """The arq worker that ``shopwright worker`` runs: ``run_until_stopped()``
    rides out Redis outages and stops gracefully (:mod:`engine.jobs.worker`);
    with ``burst``, ``main()`` runs what is queued, then returns (call
    ``close()`` afterwards). Jobs of plugins installed while it runs are added
    when the plugin host finds them (:func:`adopt_jobs`)."""
    settings = worker_settings(runtime, burst=burst)
    if not burst:
        # Its own loop reconnects with backoff: arq must not retry on its own.
        settings["redis_settings"] = _redis_settings(runtime.settings.redis_url, fail_fast=True)
    jobs = runtime.settings.jobs
    worker = ShopWorker(**settings, shutdown_grace_seconds=jobs.shutdown_grace_seconds,
                        reconnect_max_seconds=jobs.reconnect_max_seconds)
    runtime.host.on_discovered(lambda _plugins: adopt_jobs(worker, runtime, burst))
    return worker


def adopt_jobs(worker: Worker, runtime, burst: bool = False) -> list[str]:
    """Add to ``worker`` the jobs and cron jobs it does not have yet (of plugins
    installed since it was made); returns their names."""
    settings = worker_settings(runtime, burst=burst)
    added = []
    for function in settings["functions"]:
        if function.name not in worker.functions:
            worker.functions[function.name] = function
            added.append(function.name)
    for cron_job in settings["cron_jobs"]:
        if cron_job.name not in worker.functions:
            worker.cron_jobs.append(cron_job)
            worker.functions[cron_job.name] = cron_job
            added.append(cron_job.name)
    return added
