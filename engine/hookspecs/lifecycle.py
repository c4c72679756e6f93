"""Lifecycle hooks: start-up, shutdown, routes."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "process", on_failure="skip")
def lifecycle_startup(runtime):
    """Called once when a process (web process or worker) has started, after
    the database is reachable and plugins are loaded. ``runtime`` is the
    process's :class:`engine.runtime.Runtime` (settings, database, job queue).

    Collect-all; may be async; return value ignored. Every process calls it,
    so it must be idempotent; it may do I/O. An exception is logged and
    recorded against the plugin and does not stop the other plugins or the
    start.
    """


@spec("collect", "process", on_failure="skip")
def lifecycle_shutdown(runtime):
    """Called once when a process stops, with its ``runtime``.

    Collect-all; may be async; return value ignored. An exception is logged
    and recorded against the plugin and does not stop the other plugins or
    the shutdown.
    """


@spec("collect", "process", implementation="sync", on_failure="skip", plugins="installed")
def lifecycle_activation(active, settings):
    """This plugin became active in this process, or stopped being active.

    ``active`` True: it is enabled with valid settings — at process start, or
    later when enabled from the CLI or the admin — or its ``settings`` (a
    validated instance of its model, secrets decrypted) changed while active
    (called once per change, at start-up too).
    ``active`` False: it was disabled, its settings stopped validating, or the
    process is stopping; ``settings`` are the last ones it had. Called for the
    one plugin whose state changed, in every process (each within
    ``plugins.refresh_interval_seconds`` of the change), so a plugin can set up
    and tear down a process-wide client (an error tracker, a connection)
    without a restart. Collect-all over installed plugins, sync; return value
    ignored. An exception is logged and recorded against the plugin.
    """


@spec("collect", "request", implementation="sync", on_failure="skip")
def lifecycle_failure(failure):
    """Report a failure to an error tracker or pager: ``failure`` is an
    :class:`engine.protocols.FailureReport` — a plugin's hook implementation
    that failed (``kind == "hook"``, naming ``plugin`` and ``hook``) or a job
    that failed for good (``kind == "job"``).

    Collect-all, sync. Called in the process and at the moment it happened —
    inside the request or the job — so it must be fast and must not do network
    I/O itself: hand the report to a background sender (error trackers'
    clients do). It is called after the failure was logged and recorded for
    staff, whatever the failing hook's policy (skip or raise). An
    implementation that raises is logged and recorded, and never reported
    through this hook again. Return value ignored. An unexpected error in a
    request is not reported here: the ASGI application is where a tracker sees
    it.
    """


@spec("collect", "app", implementation="sync", on_failure="skip", plugins="installed")
def lifecycle_blueprints():
    """Quart blueprints the plugin serves, registered at app creation.

    Collect-all over every usable installed plugin, enabled or not (routes
    are registered once; a disabled plugin's routes answer 404 until it is
    enabled); sync. Returns a list of ``quart.Blueprint`` (or None). Admin
    routes must declare a permission. A plugin that raises is logged and
    recorded and serves no routes; the app is still built.
    """
