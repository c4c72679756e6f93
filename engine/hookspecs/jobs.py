"""Job hooks: background jobs and domain event handlers (worker side)."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "process", implementation="sync", on_failure="skip")
def jobs_register():
    """Background jobs and cron jobs this plugin contributes.

    Collect-all; sync; called when a worker (or the in-process runner) starts.
    Returns a list of :class:`engine.protocols.JobDefinition` named
    ``<plugin>.<task>``. Job functions run in the worker: at least once, so
    they must be idempotent; an exception is retried with backoff up to
    ``max_tries``.
    """


@spec("collect", "worker")
def jobs_handle_event(event, settings, runtime):
    """React to a domain event from the outbox (``order_placed``, ``order_paid``,
    ``stock_changed``, ``product_saved``, ...).

    Collect-all; may be async; worker hook: each plugin's handler runs as its own
    job (``event:<id>:<plugin>``), at least once, retried with backoff when it
    raises; use ``event.id`` to stay idempotent. ``runtime`` is the worker's
    :class:`engine.runtime.Runtime` (engine settings, database, job queue).
    Return value ignored.
    """
