"""Piccolo's configuration module, built at run time (never edited by hand).

``DB`` is the engine of the running app (set by :meth:`engine.db.Database.bind`;
outside an app it is built from the settings). ``APP_REGISTRY`` holds the core
apps and the Piccolo apps of every installed plugin, found through entry points.
This lets Piccolo's own CLI work too: ``PICCOLO_CONF=engine.piccolo_conf piccolo migrations new system --auto``.

It sits above the plugin host (it lists plugin apps) and is only ever found by
name, through the ``PICCOLO_CONF`` variable that :mod:`engine.db` sets.
"""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "DB":
        from engine.db.sql import engine

        return engine()
    if name == "APP_REGISTRY":
        from piccolo.conf.apps import AppRegistry

        from engine.db.apps import all_app_modules
        from engine.plugins import discover_plugin_apps

        return AppRegistry(apps=all_app_modules(discover_plugin_apps()))
    raise AttributeError(name)
