"""Job hooks: background jobs and domain event handlers (worker side)."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "process", implementation="sync", on_failure="skip", plugins="installed")
def jobs_register(settings):
    """Background jobs and cron jobs this plugin contributes.

    Collect-all over every usable installed plugin, enabled or not (a job of
    a disabled plugin is dropped when it comes up, so enabling needs no
    restart); sync; called when a worker (or the in-process runner) starts.
    ``settings`` is the plugin's own settings as stored when the process
    starts (defaults when none are stored; None without a settings model),
    so e.g. an ``interval_minutes`` setting can set a cron schedule; a
    changed schedule applies from the next worker start. Returns a list of
    :class:`engine.protocols.JobDefinition` named ``<plugin>.<task>``. Job
    functions run in the worker: at least once, so they must be idempotent;
    an exception is retried with backoff up to ``max_tries``. A plugin whose
    ``jobs_register`` raises is logged and recorded, and registers no jobs.
    """


@spec("collect", "worker")
def jobs_handle_event(event, settings, runtime):
    """React to a domain event from the outbox (``order_placed``, ``order_paid``,
    ``stock_changed``, ``product_saved``, ...).

    Delivered only to plugins that subscribe to ``event.name``: those whose
    manifest lists it in ``events``, or lists no events at all. Each
    plugin's handler runs as its own job (``event:<id>:<plugin>``), at least
    once (collect-all, one plugin per call); may be async; worker hook (no deadline but the job's timeout). An
    exception is logged and recorded against the plugin and the job is
    retried with backoff; use ``event.id`` to stay idempotent. ``runtime``
    is the worker's :class:`engine.runtime.Runtime` (engine settings,
    database, job queue). Return value ignored.
    """
