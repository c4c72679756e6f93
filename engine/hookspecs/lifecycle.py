"""Lifecycle hooks: start-up, shutdown, routes."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "process", on_failure="skip")
def lifecycle_startup(app):
    """Called once when an app (web process or worker) has started, after the
    database is reachable and plugins are loaded.

    Collect-all; may be async; return value ignored. Worker-style: may do I/O,
    but every process calls it, so it must be idempotent. An exception is
    reported against the plugin and does not stop the other plugins.
    """


@spec("collect", "process", on_failure="skip")
def lifecycle_shutdown(app):
    """Called once when an app stops. Collect-all; may be async; return value
    ignored; exceptions are logged and swallowed."""


@spec("collect", "app", implementation="sync")
def lifecycle_blueprints():
    """Quart blueprints the plugin serves, registered at app creation.

    Collect-all; sync; returns a list of ``quart.Blueprint`` (or None). Routes of
    a disabled plugin answer 404. Admin routes must declare a permission.
    """
