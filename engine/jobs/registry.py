"""The job registry and the rules every job runs under, on both runners.

Jobs come from plugins (core defaults included) through ``jobs_register``; a
job is named ``<plugin>.<task>`` (``core.<task>`` for core defaults). A job
function is ``async def func(ctx, *args)``; ``ctx`` holds ``runtime``,
``queue``, ``plugin``, ``job_name``, ``job_id`` and ``job_try``.

:func:`collect_jobs` validates the definitions (a bad one is refused and
recorded, never fatal to the shop); :func:`build_functions` turns them into
the function table and cron schedules a runner executes. Both runners run the
function made by :func:`wrap_job`, so the same rules hold on both:

- An exception (or running past the job's timeout) is retried after
  ``jobs.retry_backoff_seconds × 2^(try-1)`` seconds until ``max_tries``
  tries were made; then the job fails for good and is logged. A job may also
  ``raise arq.Retry(defer=...)`` to ask for another try on its own schedule.
- A job of a disabled plugin is dropped when it comes up (not run, not
  retried), so enabling or disabling a plugin needs no worker restart.

Delivery is at least once: a worker killed mid-job leaves the job to be run
again (arq: after the job's timeout + 10 s), so job functions must be
idempotent.
"""
from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import structlog
from arq import Retry
from arq.cron import CronJob, cron

from engine import tracing
from engine.protocols import FailureReport, JobDefinition

log = structlog.get_logger("shopwright.jobs")

#: arq's own timeout sits this far behind the job's timeout, which the wrapper enforces.
TIMEOUT_MARGIN_SECONDS = 5
CRON_FIELDS = {"month", "day", "weekday", "hour", "minute", "second", "microsecond"}


class JobRegistrationError(Exception):
    """A plugin's job definition is refused (bad name, not async, bad cron, duplicate)."""


class UnknownJob(LookupError):
    """No registered job has this name (never registered, or refused)."""


class JobFailed(RuntimeError):
    """A job asked for another try (``Retry``) after its last allowed try."""


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


def collect_jobs(host, errors: dict[str, list[str]] | None = None) -> dict[str, tuple[str, JobDefinition]]:
    """Every job of every usable installed plugin: ``{job name: (plugin, definition)}``,
    from the ``jobs_register`` hook (each plugin gets its own settings).

    Jobs of disabled plugins are registered too, and dropped when they run, so
    enabling a plugin needs no worker restart.

    With ``errors`` None the first bad definition (or a ``jobs_register``
    that raises) raises :class:`JobRegistrationError`. With a dict, a bad
    definition (or a ``jobs_register`` that raises) is refused: its message is
    added under the plugin's name and logged, and every other job is still
    registered.
    """
    jobs: dict[str, tuple[str, JobDefinition]] = {}

    def refuse(plugin: str, message: str) -> None:
        if errors is None:
            raise JobRegistrationError(message)
        errors.setdefault(plugin, []).append(message)
        log.error("job.refused", plugin=plugin, error=message)

    answers = host.hook_sync("jobs_register")
    for failure in answers.skipped:
        refuse(failure.plugin, f"plugin {failure.plugin!r}: jobs_register {failure.reason}")
    for plugin, definitions in answers:
        is_core = host.installed[plugin].core
        for definition in definitions if isinstance(definitions, (list, tuple)) else [definitions]:
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
            runtime.host.report_failure(FailureReport("job", plugin, error, exc, job=name))
            raise
        counter.labels(name, "succeeded").inc()
        return result

    run = tracing.traced_job(name, run)
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
