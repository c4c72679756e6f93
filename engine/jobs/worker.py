"""The long-running ``shopwright worker``: arq's worker, made to ride out Redis
outages and to stop gracefully.

arq's ``Worker.main()`` ends with the first Redis error (the worker process
then exited with a traceback), and its signal handler cancels the running
jobs and a ``main_task`` that only ``Worker.run()`` sets (so ``kill -TERM``
did not stop our worker). :class:`ShopWorker` keeps arq's job handling
(``start_jobs``, ``run_job``, ``finish_job``, cron) and replaces the loop
around it (:meth:`ShopWorker.run_until_stopped`):

- **Redis outage**: a Redis error ends the current connection, not the
  process. The worker retries with exponential backoff (0.5 s doubling up to
  ``jobs.reconnect_max_seconds``) and goes on polling once Redis answers.
  Jobs running meanwhile keep running; one whose result cannot be written is
  re-run by arq after its in-progress mark expires (at least once).
- **Graceful stop** (:meth:`ShopWorker.request_stop`, wired to SIGTERM and
  SIGINT by the CLI): no new job is picked; running jobs get
  ``jobs.shutdown_grace_seconds`` to finish; a job still running then is
  cancelled and *handed back*: it stays queued and runs again at once on
  another worker (or this one, after a restart), and the hand-back does not
  count as one of its tries. A job therefore runs to completion once: it
  finished, or it was cancelled and runs again.
- **Health** (:class:`WorkerHealth`): whether Redis answered the last poll,
  for the worker's ``/readyz`` (:mod:`engine.jobs.health`).

This relies on arq 0.28's worker internals (``_poll_iteration``,
``finish_job``, ``heart_beat``, ``tasks``, ``allow_pick_jobs``); the
version is pinned in ``pyproject.toml`` and ``tests/jobs/test_worker_process.py``
checks the behaviour end to end.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from arq.connections import create_pool
from arq.constants import retry_key_prefix
from arq.worker import Worker
from redis.exceptions import RedisError

log = structlog.get_logger("shopwright.worker")

#: what a lost or refused Redis connection raises
REDIS_ERRORS = (RedisError, OSError, asyncio.TimeoutError)
#: first reconnection delay (seconds); doubles up to ``jobs.reconnect_max_seconds``
FIRST_RECONNECT_DELAY = 0.5
#: how long a handed-back job may take to record the hand-back in Redis
HAND_BACK_SECONDS = 10.0


@dataclass
class WorkerHealth:
    """What the worker's health endpoint reports: Redis reachable (``redis_ok``,
    ``last_error``), when a poll last went through, and whether it is stopping."""

    redis_ok: bool = False
    last_error: str | None = "not connected yet"
    last_poll_at: float | None = None  # time.monotonic()
    stopping: bool = False
    started_at: float = field(default_factory=time.monotonic)

    def polled(self) -> None:
        self.redis_ok, self.last_error, self.last_poll_at = True, None, time.monotonic()

    def redis_down(self, exc: BaseException) -> None:
        self.redis_ok, self.last_error = False, f"{type(exc).__name__}: {exc}"[:300]

    def ready(self, stale_after: float) -> bool:
        """Polling Redis, recently, and not stopping."""
        fresh = self.last_poll_at is not None and time.monotonic() - self.last_poll_at <= stale_after
        return self.redis_ok and fresh and not self.stopping


class Backoff:
    """Delays for reconnecting: ``first``, doubling, at most ``cap``."""

    def __init__(self, first: float, cap: float) -> None:
        self.first, self.cap = first, max(cap, first)
        self.current = first

    def next(self) -> float:
        delay, self.current = self.current, min(self.current * 2, self.cap)
        return delay

    def reset(self) -> None:
        self.current = self.first


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``event`` is set, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


class ShopWorker(Worker):
    """arq's :class:`~arq.worker.Worker` with reconnection, a graceful stop and
    health (see the module docstring). ``main()`` (burst mode, tests) is arq's;
    ``shopwright worker`` calls :meth:`run_until_stopped`."""

    def __init__(self, *args: Any, shutdown_grace_seconds: float = 30.0, reconnect_max_seconds: float = 30.0,
                 **kwargs: Any) -> None:
        kwargs["handle_signals"] = False  # the CLI wires SIGTERM/SIGINT to request_stop()
        super().__init__(*args, **kwargs)
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.reconnect_max_seconds = reconnect_max_seconds
        self.health = WorkerHealth()
        self.handed_back: set[str] = set()
        self._stop = asyncio.Event()

    # ------------------------------------------------------------ arq hooks
    async def heart_beat(self) -> None:
        """arq calls this at the end of every poll that reached Redis."""
        await super().heart_beat()
        self.health.polled()

    async def finish_job(self, job_id: str, finish: bool, *args: Any) -> None:
        if not finish and job_id in self.handed_back:
            # Handed back at shutdown: not one of the job's tries. Done while this
            # worker still holds the job's in-progress mark, so no other worker
            # has started it yet.
            await self.pool.decr(retry_key_prefix + job_id)
        await super().finish_job(job_id, finish, *args)

    # ------------------------------------------------------------ the loop
    def request_stop(self, *_: Any) -> None:
        """Stop picking jobs and end :meth:`run_until_stopped` gracefully (safe
        to call from a signal handler, and more than once)."""
        if not self._stop.is_set():
            log.info("worker.stopping", running=self.running_jobs(), grace_seconds=self.shutdown_grace_seconds)
        self.allow_pick_jobs = False
        self.health.stopping = True
        self._stop.set()

    def running_jobs(self) -> int:
        return sum(not task.done() for task in self.tasks.values())

    async def run_until_stopped(self) -> None:
        """Poll for jobs until :meth:`request_stop`, reconnecting to Redis after
        an outage; then finish or hand back the running jobs (:meth:`drain`)."""
        backoff = Backoff(FIRST_RECONNECT_DELAY, self.reconnect_max_seconds)
        while not self._stop.is_set():
            try:
                await self._connect()
                while not self._stop.is_set():
                    await self._poll_iteration()
                    backoff.reset()
                    await _wait(self._stop, self.poll_delay_s)
            except Exception as exc:  # noqa: BLE001 - Redis errors above all; only a stop ends the loop
                self.health.redis_down(exc)
                self._reap()
                delay = backoff.next()
                event = "worker.redis_unavailable" if isinstance(exc, REDIS_ERRORS) else "worker.poll_failed"
                log.warning(event, error=self.health.last_error, retry_in_seconds=delay)
                await _wait(self._stop, delay)
        await self.drain()

    async def _connect(self) -> None:
        if self._pool is None:
            self._pool = await create_pool(self.redis_settings, default_queue_name=self.queue_name,
                                           expires_extra_ms=self.expires_extra_ms)
            self.ctx["redis"] = self._pool
        await self._pool.ping()
        if not self.health.redis_ok:
            log.info("worker.connected", queue=self.queue_name, functions=len(self.functions))
        self.health.polled()

    def _reap(self) -> None:
        """Forget finished job tasks; log one that failed outside its job (its
        result could not be written: Redis went away)."""
        for job_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[job_id]
                if not task.cancelled() and task.exception() is not None:
                    log.warning("worker.job_unrecorded", job_id=job_id, error=repr(task.exception()))

    async def drain(self) -> None:
        """Give running jobs the grace period, then hand back the rest."""
        self.allow_pick_jobs = False
        running = [task for task in self.tasks.values() if not task.done()]
        if running:
            _, pending = await asyncio.wait(running, timeout=self.shutdown_grace_seconds)
            if pending:
                for job_id, task in self.tasks.items():
                    if not task.done():
                        self.handed_back.add(job_id)
                        task.cancel()
                log.warning("worker.jobs_handed_back", jobs=sorted(self.handed_back))
                await asyncio.wait(pending, timeout=HAND_BACK_SECONDS)
        self._reap()

    async def close(self) -> None:
        """Close the Redis connection (a Redis that is down is not waited for)."""
        pool: Any | None = self._pool
        if pool is None:
            return
        self._pool = None
        with contextlib.suppress(*REDIS_ERRORS):
            await pool.delete(self.health_check_key)
        with contextlib.suppress(*REDIS_ERRORS):
            await pool.close(close_connection_pool=True)
