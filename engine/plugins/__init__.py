"""The plugin host: discovery, enabled state, settings and hook calls.

Plugins are Python modules (or objects) with a ``MANIFEST`` and ``@hookimpl``
functions, found through the ``shopwright.plugins`` entry point group or named
explicitly (tests). Core defaults are plugins too, registered with the lowest
precedence so any plugin can replace them. Installed is not enabled: the
``plugin_state`` table says which plugins are enabled, their priority and settings.

- :mod:`engine.plugins.discovery`: finding plugins, telling usable from broken;
- :mod:`engine.plugins.state`: enabled state, priority and settings in ``plugin_state``;
- :mod:`engine.plugins.calls`: the one hook caller, which reads each spec's contract
  (mode, deadline, failure policy); :mod:`engine.plugins.threads`: the threads that run
  plugins' plain ``def`` request hooks off the event loop; :mod:`engine.plugins.failures`:
  the circuit breaker and the failure record staff see;
- :mod:`engine.plugins.hookcheck`: refusing misspelt hooks, wrappers and unknown arguments;
- :mod:`engine.plugins.host`: :class:`PluginHost`, which the runtime owns;
- :mod:`engine.plugins.errors`: :class:`PluginError`, :class:`HookError`;
- :mod:`engine.plugins.hookcheck`: what is wrong with a plugin's hook implementations;
- :mod:`engine.plugins.check`: ``shopwright plugin check``, the linter for plugin packages.

Every change of enabled state, priority or settings writes its audit entry
(:mod:`engine.audit`) in the transaction that stores it, whoever asked for it —
the admin API or the CLI.

This package sits just above the kernel and imports only the kernel and the
platform modules below it (``engine.audit``, ``engine.db``, ``engine.system``):
never a domain package, HTTP code, the jobs or the runtime. The core defaults sit above
it (they call domain services), so :data:`DEFAULT_PLUGINS` names them and they
are imported by name.
"""
from __future__ import annotations

from engine.plugins.discovery import (
    DEFAULT_PLUGINS,
    PLUGIN_GROUP,
    THEME_GROUP,
    InstalledPlugin,
    check_engine_range,
    default_plugins,
    discover_installed,
    discover_plugin_apps,
    inspect_plugin,
    one_line,
)
from engine.plugins.errors import HookError, PluginError, SettingsInvalid
from engine.plugins.failures import HookFailure
from engine.plugins.host import PluginHost, PluginStatus
from engine.plugins.state import CORE_PRIORITY

__all__ = [
    "CORE_PRIORITY",
    "DEFAULT_PLUGINS",
    "PLUGIN_GROUP",
    "THEME_GROUP",
    "HookError",
    "HookFailure",
    "InstalledPlugin",
    "PluginError",
    "PluginHost",
    "PluginStatus",
    "SettingsInvalid",
    "check_engine_range",
    "default_plugins",
    "discover_installed",
    "discover_plugin_apps",
    "inspect_plugin",
    "one_line",
]
