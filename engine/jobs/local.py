"""Jobs without Redis: the in-process :class:`LocalRunner`.

It runs the wrapped job functions of :mod:`engine.jobs.registry` inside the
web process with arq's semantics (job-id dedupe, retries and backoff, cron
jobs), keeping its jobs in memory. It also tells the outbox relay when every
job an event caused has finished (:meth:`LocalRunner.event_state`).
"""
from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

import structlog
from arq import Retry

from engine import tracing
from engine.jobs.registry import TIMEOUT_MARGIN_SECONDS, CronSpec, JobFailed, UnknownJob
from engine.tasks import cancel_and_wait

log = structlog.get_logger("shopwright.jobs")

#: Jobs the in-process runner runs at the same time (arq's default ``max_jobs`` is 10).
LOCAL_CONCURRENCY = 10
#: How long closing the in-process runner waits for cancelled jobs to stop.
LOCAL_CLOSE_GRACE_SECONDS = 2.0
#: The in-process runner remembers finished jobs at least this long (outbox bookkeeping).
LOCAL_FINISHED_MEMORY_SECONDS = 600


@dataclass
class _LocalJob:
    name: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    job_try: int = 1
    state: str = "queued"  # queued | deferred | running | finished
    finished_at: float | None = None
    keep_until: float = float("inf")
    #: monotonic time it became due (queued); None while deferred
    due_at: float | None = None
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

    def adopt(self, functions: dict[str, Callable], crons: list[CronSpec]) -> None:
        """Add the jobs and cron schedules not registered yet (a plugin installed
        while running); a started runner schedules the new cron jobs at once."""
        self.functions = {**functions, **self.functions}
        known = {spec.name for spec in self.crons}
        new = [spec for spec in crons if spec.name not in known]
        self.crons = [*self.crons, *new]
        if new and self._tasks:
            self._tasks.append(asyncio.create_task(self._cron_loop(new), name="shopwright-local-cron"))

    async def start(self) -> None:
        if self._tasks:
            return
        for number in range(self.concurrency):
            self._tasks.append(asyncio.create_task(self._work(self._generation),
                                                   name=f"shopwright-local-jobs-{number}"))
        if self.crons:
            self._tasks.append(asyncio.create_task(self._cron_loop(self.crons), name="shopwright-local-cron"))

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
        self.jobs[job_id] = _LocalJob(name=name, args=args, kwargs=tracing.job_kwargs())
        self._open.add(job_id)
        self._idle.clear()
        self._schedule(job_id, _defer_by or 0)
        return True

    def _schedule(self, job_id: str, delay: float) -> None:
        job = self.jobs[job_id]
        if delay <= 0:
            job.state, job.due_at = "queued", time.monotonic()
            self._queue.put_nowait(job_id)
            return
        job.state = "deferred"

        def fire() -> None:
            self._timers.pop(job_id, None)
            job.state, job.due_at = "queued", time.monotonic()
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
                result = await function(ctx, *job.args, **job.kwargs)
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

    async def _cron_loop(self, specs: list[CronSpec]) -> None:
        jobs = [spec.cron_job() for spec in specs]
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
    def waiting(self) -> tuple[int, int, float]:
        """``(due, deferred, oldest)``: jobs waiting to start now and later, and
        how long the oldest due job has waited (0 when none)."""
        now = time.monotonic()
        due = [job.due_at for job in self.jobs.values() if job.state == "queued" and job.due_at is not None]
        deferred = sum(1 for job in self.jobs.values() if job.state == "deferred")
        return len(due), deferred, (now - min(due)) if due else 0.0

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
