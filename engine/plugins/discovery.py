"""Finding plugins and telling usable ones from broken ones.

Plugins are Python modules (or objects) with a ``MANIFEST`` and ``@hookimpl`` functions,
registered under the ``shopwright.plugins`` entry point group, or named explicitly (tests).
The core defaults are found here too, by module name (:data:`DEFAULT_PLUGINS`).

Contract: nothing here raises because of a plugin. Each one found becomes an
:class:`InstalledPlugin`; one that cannot be used (its import fails, it has no manifest, its
entry point name is not its manifest's, the running engine is outside its range, or a
hookimpl has no specification) carries the reason in ``error``, on one line
(:func:`one_line`). Whether a usable plugin is enabled is not decided here
(:mod:`engine.plugins.state`).

:func:`discover_installed` reads the environment afresh each time
(``importlib.invalidate_caches()`` first), so a distribution ``pip install``ed into
the environment of a running process is found, and its modules import, on the next call.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Collection

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from engine import PROJECT_NAME, __version__, hookspecs
from engine.manifest import PluginManifest, ThemeManifest
from engine.plugins.errors import PluginError
from engine.plugins.hookcheck import hook_problems

PLUGIN_GROUP = "shopwright.plugins"
THEME_GROUP = "shopwright.themes"


@dataclass
class InstalledPlugin:
    """A plugin that was found, loaded or not. ``error`` says why it is unusable;
    ``obj`` is None when its import failed. ``entry_point``: the entry point's
    name (None for core defaults and explicit plugins)."""

    name: str
    obj: Any = None
    manifest: PluginManifest | None = None
    version: str = ""
    source: str = "entry point"
    error: str | None = None
    entry_point: str | None = None
    #: the name of the distribution that provides it (empty for core defaults and explicit plugins)
    distribution: str = ""

    @property
    def core(self) -> bool:
        return bool(self.manifest and self.manifest.core)


def one_line(text: str) -> str:
    """``text`` on one line: the lines of a multi-line message (pluggy's, pydantic's)
    stripped and joined with "; ", so a report stays one line per plugin."""
    return "; ".join(line.strip() for line in str(text).splitlines() if line.strip())


def _manifest_of(obj: Any) -> PluginManifest:
    manifest = getattr(obj, "MANIFEST", None)
    if not isinstance(manifest, PluginManifest):
        raise PluginError("has no MANIFEST = PluginManifest(...)")
    return manifest


def check_engine_range(manifest: PluginManifest | ThemeManifest) -> str | None:
    """Why the running engine is outside the manifest's ``engine`` range, or None."""
    if not manifest.engine:
        return None
    try:
        spec = SpecifierSet(manifest.engine)
    except InvalidSpecifier:
        return f"invalid engine range {manifest.engine!r}"
    if not spec.contains(__version__, prereleases=True):
        return f"requires engine {manifest.engine}, running {__version__}"
    return None


def _check_hooks(obj: Any, name: str) -> str | None:
    """Any problem of a hookimpl (:func:`engine.plugins.hookcheck.hook_problems`: a
    misspelt hook, a wrapper, an unknown argument) makes the plugin unusable."""
    problems = hook_problems(obj)
    if problems:
        return "invalid hook implementation: " + "; ".join(str(problem) for problem in problems)
    refusal = pluggy_refusal(obj, name)
    return f"invalid hook implementation: {refusal}" if refusal else None


def pluggy_refusal(obj: Any, name: str) -> str | None:
    """Why pluggy refuses to register ``obj`` against the hook specifications (one
    line), or None."""
    probe = pluggy.PluginManager(PROJECT_NAME)
    for module in hookspecs.MODULES:
        probe.add_hookspecs(module)
    try:
        probe.register(obj, name=name)
        probe.check_pending()
    except pluggy.PluginValidationError as exc:
        return one_line(exc)
    return None


def inspect_plugin(obj: Any, source: str, version: str | None = None, expected_name: str | None = None) -> InstalledPlugin:
    """Validate a loaded plugin object; never raises."""
    label = expected_name or getattr(obj, "__name__", repr(obj))
    try:
        manifest = _manifest_of(obj)
    except PluginError as exc:
        return InstalledPlugin(name=label, obj=obj, source=source, error=one_line(exc))
    plugin = InstalledPlugin(
        name=manifest.name, obj=obj, manifest=manifest, version=version or manifest.version, source=source
    )
    if expected_name and expected_name != manifest.name:
        plugin.error = f"entry point name {expected_name!r} differs from manifest name {manifest.name!r}"
    else:
        plugin.error = check_engine_range(manifest) or _check_hooks(obj, manifest.name)
    if plugin.error:
        plugin.error = one_line(plugin.error)
    return plugin


def discover_installed(group: str = PLUGIN_GROUP, skip: Collection[str] = ()) -> list[InstalledPlugin]:
    """Every plugin registered under the entry point ``group``, except the entry
    points named in ``skip`` (already loaded); import errors are captured as the
    plugin's ``error``. Reads the environment afresh: distributions installed since
    the process started are found."""
    importlib.invalidate_caches()
    found = []
    for ep in sorted(entry_points(group=group), key=lambda ep: ep.name):
        if ep.name in skip:
            continue
        version = ep.dist.version if ep.dist else ""
        distribution = ep.dist.name if ep.dist else ""
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not stop the store
            found.append(InstalledPlugin(name=ep.name, version=version, entry_point=ep.name, distribution=distribution,
                                         error=one_line(f"import failed: {exc!r}")))
            continue
        plugin = inspect_plugin(obj, "entry point", version or None, expected_name=ep.name)
        plugin.entry_point = ep.name
        plugin.distribution = distribution
        found.append(plugin)
    return found


#: The core defaults (``engine.defaults`` and two domain-owned defaults), by
#: module name: the host finds them the way it finds any plugin, never by
#: importing them (they sit above the host: they call domain services).
DEFAULT_PLUGINS = [
    "engine.defaults.core_auth",
    "engine.defaults.core_events",
    "engine.defaults.core_permissions",
    "engine.catalog.search_default",
    "engine.defaults.core_tax",
    "engine.defaults.core_promotions",
    "engine.defaults.core_shipping",
    "engine.defaults.core_payments",
    "engine.defaults.core_orders",
    "engine.defaults.core_catalog",
    "engine.defaults.core_mail",
    "engine.webhooks.plugin",
]


def default_plugins() -> list[InstalledPlugin]:
    return [inspect_plugin(import_module(path), "core") for path in DEFAULT_PLUGINS]


def discover_plugin_apps() -> list[str]:
    """Piccolo app modules of installed, loadable plugins (core defaults included)."""
    apps = []
    for plugin in default_plugins() + discover_installed():
        if plugin.error is None and plugin.manifest and plugin.manifest.piccolo_app:
            apps.append(plugin.manifest.piccolo_app)
    return apps
