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


@spec("collect", "app", implementation="sync", on_failure="skip", plugins="installed")
def lifecycle_blueprints():
    """Quart blueprints the plugin serves, registered at app creation.

    Collect-all over every usable installed plugin, enabled or not (routes
    are registered once; a disabled plugin's routes answer 404 until it is
    enabled); sync. Returns a list of ``quart.Blueprint`` (or None). Admin
    routes must declare a permission. A plugin that raises is logged and
    recorded and serves no routes; the app is still built.
    """
