"""Shopwright: a plugin-based, self-hosted commerce engine.

The public API for plugin authors is what this package exports: ``hookimpl``,
the manifest type, the provider protocols and the value types the hook
specifications name. Everything else under ``engine`` is internal.
"""
from __future__ import annotations

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "shopwright"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

from engine.events import DomainEvent  # noqa: E402
from engine.manifest import PluginManifest, ThemeManifest, secret  # noqa: E402
from engine.money import Money  # noqa: E402

__all__ = [
    "DomainEvent",
    "Money",
    "PluginManifest",
    "ThemeManifest",
    "__version__",
    "hookimpl",
    "hookspec",
    "secret",
]
