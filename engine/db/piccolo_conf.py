"""Piccolo's configuration module, built at run time (never edited by hand).

``DB`` is the engine of the running app (set by :meth:`engine.db.Database.bind`;
outside an app it is built from the settings). ``APP_REGISTRY`` holds the core
apps and the Piccolo apps of every installed plugin, found through entry points.
This lets Piccolo's own CLI work too: ``PICCOLO_CONF=engine.db.piccolo_conf piccolo migrations new system --auto``.
"""
from __future__ import annotations

from typing import Any

_state: dict[str, Any] = {}


def use_engine(engine: Any) -> None:
    _state["DB"] = engine


def __getattr__(name: str) -> Any:
    if name == "DB":
        if "DB" not in _state:
            from engine.db import make_engine
            from engine.settings import load_settings

            settings = load_settings()
            _state["DB"] = make_engine(settings.database_url, settings.database)
        return _state["DB"]
    if name == "APP_REGISTRY":
        from piccolo.conf.apps import AppRegistry

        from engine.db.apps import all_app_modules

        return AppRegistry(apps=all_app_modules())
    raise AttributeError(name)
