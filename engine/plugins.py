"""The plugin host: discovery, enabled state, settings and async hook calls.

Plugins are Python modules (or objects) with a ``MANIFEST`` and ``@hookimpl``
functions. They are found through the ``shopwright.plugins`` entry point group,
or named explicitly (tests). Core defaults are plugins too (``engine.defaults``),
registered with the lowest precedence so any plugin can replace them.

Installed is not enabled: the ``plugin_state`` table says which plugins are
enabled, their priority and settings. Every process re-reads it every
``plugins.refresh_interval_seconds`` (≤ 2 s), so a change made by the CLI or
the admin in one process is in force everywhere without a restart.

There is no global plugin manager: each :class:`PluginHost` owns one.
"""
from __future__ import annotations

import asyncio
import inspect
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Iterable

import pluggy
import structlog
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import BaseModel, ValidationError

from engine import PROJECT_NAME, __version__, hookspecs
from engine.manifest import PluginManifest, secret_fields
from engine.secrets import SecretBox, mask

log = structlog.get_logger("shopwright.plugins")

PLUGIN_GROUP = "shopwright.plugins"
THEME_GROUP = "shopwright.themes"
CORE_PRIORITY = 10_000


class PluginError(Exception):
    """A plugin cannot be used (bad name, bad settings, unknown plugin, ...)."""


class HookError(Exception):
    """A hookimpl raised or missed its deadline. The message names the plugin."""

    def __init__(self, plugin: str, hook: str, reason: str) -> None:
        self.plugin = plugin
        self.hook = hook
        self.reason = reason
        super().__init__(f"plugin {plugin!r} failed in hook {hook!r}: {reason}")


@dataclass
class InstalledPlugin:
    """A plugin that was found, loaded or not. ``error`` says why it is unusable."""

    name: str
    obj: Any = None
    manifest: PluginManifest | None = None
    version: str = ""
    source: str = "entry point"
    error: str | None = None

    @property
    def core(self) -> bool:
        return bool(self.manifest and self.manifest.core)


@dataclass
class PluginStatus:
    """What ``plugins list`` and ``/readyz`` report for one plugin."""

    name: str
    title: str
    version: str
    enabled: bool
    active: bool
    core: bool
    priority: int
    error: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def _manifest_of(obj: Any) -> PluginManifest:
    manifest = getattr(obj, "MANIFEST", None)
    if not isinstance(manifest, PluginManifest):
        raise PluginError("has no MANIFEST = PluginManifest(...)")
    return manifest


def _check_engine_range(manifest: PluginManifest) -> str | None:
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
    """A hookimpl without a matching spec (a misspelt hook) makes the plugin unusable."""
    probe = pluggy.PluginManager(PROJECT_NAME)
    for module in hookspecs.MODULES:
        probe.add_hookspecs(module)
    try:
        probe.register(obj, name=name)
        probe.check_pending()
    except pluggy.PluginValidationError as exc:
        return f"invalid hook implementation: {exc}"
    return None


def inspect_plugin(obj: Any, source: str, version: str | None = None, expected_name: str | None = None) -> InstalledPlugin:
    """Validate a loaded plugin object; never raises."""
    label = expected_name or getattr(obj, "__name__", repr(obj))
    try:
        manifest = _manifest_of(obj)
    except PluginError as exc:
        return InstalledPlugin(name=label, obj=obj, source=source, error=str(exc))
    plugin = InstalledPlugin(
        name=manifest.name, obj=obj, manifest=manifest, version=version or manifest.version, source=source
    )
    if expected_name and expected_name != manifest.name:
        plugin.error = f"entry point name {expected_name!r} differs from manifest name {manifest.name!r}"
    else:
        plugin.error = _check_engine_range(manifest) or _check_hooks(obj, manifest.name)
    return plugin


def discover_installed(group: str = PLUGIN_GROUP) -> list[InstalledPlugin]:
    """Every plugin registered under the entry point ``group``; import errors are
    captured as the plugin's ``error``."""
    found = []
    for ep in sorted(entry_points(group=group), key=lambda ep: ep.name):
        version = ep.dist.version if ep.dist else ""
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not stop the store
            found.append(InstalledPlugin(name=ep.name, version=version, error=f"import failed: {exc!r}"))
            continue
        found.append(inspect_plugin(obj, "entry point", version or None, expected_name=ep.name))
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


class PluginHost:
    """Owns one pluggy PluginManager and the plugins one app may use.

    ``plugins``: explicit plugin modules/objects (tests), or None to discover
    entry points. Core defaults are always installed (``include_defaults``).
    """

    def __init__(
        self,
        settings,
        plugins: Iterable[Any] | None = None,
        include_defaults: bool = True,
    ) -> None:
        self.settings = settings
        self._box = SecretBox(settings.secret_key)
        installed: list[InstalledPlugin] = default_plugins() if include_defaults else []
        if plugins is None:
            installed += discover_installed()
        else:
            installed += [inspect_plugin(obj, "explicit") for obj in plugins]
        self.installed: dict[str, InstalledPlugin] = {}
        for plugin in installed:
            if plugin.name in self.installed:
                plugin.error = plugin.error or f"duplicate plugin name {plugin.name!r}"
                log.error("plugin.duplicate", plugin=plugin.name)
                continue
            self.installed[plugin.name] = plugin
        for plugin in self.installed.values():
            if plugin.error:
                log.error("plugin.unusable", plugin=plugin.name, error=plugin.error)
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        for module in hookspecs.MODULES:
            self.pm.add_hookspecs(module)
        self._rows: dict[str, dict] = {}
        self._settings: dict[str, BaseModel | None] = {}
        self._settings_errors: dict[str, str] = {}
        self._active: list[str] = []
        self._signature: str | None = None
        self._apply_rows({})

    # ------------------------------------------------------------ state
    @property
    def active(self) -> list[str]:
        """Names of the plugins whose hooks are called, in hook order."""
        return list(self._active)

    def is_active(self, name: str) -> bool:
        return name in self._active

    def _priority(self, name: str) -> int:
        row = self._rows.get(name)
        if row and row.get("priority") is not None:
            return int(row["priority"])
        plugin = self.installed[name]
        if plugin.core:
            return CORE_PRIORITY + plugin.manifest.priority
        return plugin.manifest.priority

    def _wanted(self, name: str) -> bool:
        plugin = self.installed[name]
        row = self._rows.get(name)
        if row is not None:
            return bool(row["enabled"])
        return plugin.core and name not in self.settings.plugins.disabled_defaults

    def _apply_rows(self, rows: dict[str, dict]) -> None:
        signature = json.dumps(rows, sort_keys=True, default=str)
        if signature == self._signature:
            return
        self._signature = signature
        self._rows = rows
        self._settings, self._settings_errors = {}, {}
        wanted = []
        for name, plugin in self.installed.items():
            if plugin.error or not self._wanted(name):
                continue
            try:
                self._settings[name] = self._load_settings(plugin, rows.get(name, {}).get("settings") or "{}")
            except PluginError as exc:
                self._settings_errors[name] = str(exc)
                log.error("plugin.bad_settings", plugin=name, error=str(exc))
                continue
            wanted.append(name)
        order = sorted(wanted, key=lambda n: (self._priority(n), n))
        for name in list(self.pm.list_name_plugin()):
            self.pm.unregister(name=name[0])
        # pluggy calls hookimpls last-registered first: register in reverse hook order.
        for name in reversed(order):
            self.pm.register(self.installed[name].obj, name=name)
        self.pm.check_pending()
        if order != self._active:
            log.info("plugins.active", plugins=order)
        self._active = order

    async def refresh(self) -> bool:
        """Re-read ``plugin_state``; returns True when something changed."""
        from engine.system.tables import PluginState

        rows = await PluginState.select(
            PluginState.name, PluginState.enabled, PluginState.priority, PluginState.settings
        ).run()
        before = self._signature
        self._apply_rows({row["name"]: row for row in rows})
        return before != self._signature

    # ------------------------------------------------------------ settings
    def _load_settings(self, plugin: InstalledPlugin, raw_json: str) -> BaseModel | None:
        model = plugin.manifest.settings
        if model is None:
            return None
        try:
            raw = json.loads(raw_json)
        except ValueError:
            raise PluginError("stored settings are not valid JSON") from None
        values = {}
        for key, value in raw.items():
            if key in secret_fields(model) and value not in (None, ""):
                try:
                    value = self._box.decrypt(value)
                except ValueError as exc:
                    raise PluginError(f"setting {key}: {exc}") from None
            values[key] = value
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "settings"
            raise PluginError(f"invalid setting {where}: {first['msg']}") from None

    def settings_for(self, name: str) -> BaseModel | None:
        """The validated settings of an active plugin (secrets decrypted)."""
        return self._settings.get(name)

    def shown_settings(self, name: str) -> dict[str, Any]:
        """Settings for display: secrets masked."""
        plugin = self.get(name)
        model = plugin.manifest.settings if plugin.manifest else None
        if model is None:
            return {}
        current = self._settings.get(name)
        if current is None:
            try:
                current = self._load_settings(plugin, (self._rows.get(name) or {}).get("settings") or "{}")
            except PluginError:
                return {}
        data = current.model_dump(mode="json")
        for key in secret_fields(model):
            data[key] = mask(data.get(key))
        return data

    def get(self, name: str) -> InstalledPlugin:
        try:
            return self.installed[name]
        except KeyError:
            raise PluginError(f"no plugin named {name!r} is installed") from None

    # ------------------------------------------------------------ changes
    async def _upsert(self, name: str, **values: Any) -> None:
        from engine.system.tables import PluginState

        values["updated_at"] = datetime.now(timezone.utc)
        existing = await PluginState.select(PluginState.id).where(PluginState.name == name).first().run()
        if existing:
            await PluginState.update({getattr(PluginState, k): v for k, v in values.items()}).where(
                PluginState.name == name
            ).run()
        else:
            await PluginState.insert(PluginState(name=name, **values)).run()
        await self.refresh()

    async def enable(self, name: str) -> None:
        plugin = self.get(name)
        if plugin.error:
            raise PluginError(f"plugin {name!r} cannot be enabled: {plugin.error}")
        await self._upsert(name, enabled=True)
        if name in self._settings_errors:
            raise PluginError(f"plugin {name!r} is enabled but inactive: {self._settings_errors[name]}")

    async def disable(self, name: str) -> None:
        self.get(name)
        await self._upsert(name, enabled=False)

    async def set_priority(self, name: str, priority: int | None) -> None:
        self.get(name)
        await self._upsert(name, priority=priority)

    async def configure(self, name: str, values: dict[str, Any]) -> BaseModel:
        """Validate and store settings (merged over the current ones). Secret
        values are encrypted before they are written. Raises PluginError naming
        the bad key; nothing is written then."""
        plugin = self.get(name)
        if plugin.manifest is None or plugin.manifest.settings is None:
            raise PluginError(f"plugin {name!r} has no settings")
        model = plugin.manifest.settings
        unknown = sorted(set(values) - set(model.model_fields))
        if unknown:
            raise PluginError(
                f"plugin {name!r} has no setting {unknown[0]!r} (known: {', '.join(model.model_fields)})"
            )
        row = self._rows.get(name) or {}
        try:
            current = self._load_settings(plugin, row.get("settings") or "{}")
        except PluginError:
            current = None
        merged = current.model_dump() if current else {}
        merged.update(values)
        try:
            validated = model.model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "settings"
            raise PluginError(f"invalid setting {where} for plugin {name!r}: {first['msg']}") from None
        stored = validated.model_dump(mode="json")
        for key in secret_fields(model):
            if stored.get(key) not in (None, ""):
                stored[key] = self._box.encrypt(str(stored[key]))
        if name in self._rows:
            await self._upsert(name, settings=json.dumps(stored))
        else:
            await self._upsert(name, settings=json.dumps(stored), enabled=self._wanted(name))
        return validated

    # ------------------------------------------------------------ report
    def status(self) -> list[PluginStatus]:
        out = []
        for name, plugin in sorted(self.installed.items()):
            manifest = plugin.manifest
            out.append(
                PluginStatus(
                    name=name,
                    title=manifest.title if manifest else name,
                    version=plugin.version,
                    enabled=self._wanted(name) if manifest else False,
                    active=name in self._active,
                    core=plugin.core,
                    priority=self._priority(name) if manifest else 0,
                    error=plugin.error or self._settings_errors.get(name),
                )
            )
        return out

    def status_of(self, name: str) -> PluginStatus:
        for status in self.status():
            if status.name == name:
                return status
        raise PluginError(f"no plugin named {name!r} is installed")

    def errors(self) -> dict[str, str]:
        """Plugins that are installed but unusable, with the reason."""
        return {s.name: s.error for s in self.status() if s.error}

    # ------------------------------------------------------------ hook calls
    def _impls(self, hook: str):
        caller = getattr(self.pm.hook, hook, None)
        if caller is None:
            raise AttributeError(f"no hook specification named {hook!r}")
        # pluggy's own call order: last in the list first.
        return caller, list(reversed(caller.get_hookimpls()))

    async def _run_impl(self, hook: str, impl, kwargs: dict, deadline: float | None) -> Any:
        args = {}
        for argname in impl.argnames:
            if argname == "settings" and "settings" not in kwargs:
                args["settings"] = self._settings.get(impl.plugin_name)
            else:
                args[argname] = kwargs[argname]
        timer = None
        try:
            result = impl.function(**args)
            if inspect.isawaitable(result):
                if deadline:
                    # In this task (no task per call, as wait_for would make).
                    timer = asyncio.timeout(deadline)
                    async with timer:
                        result = await result
                else:
                    result = await result
            return result
        except asyncio.TimeoutError as exc:
            if timer is None or not timer.expired():  # the plugin's own timeout
                log.exception("hook.failed", plugin=impl.plugin_name, hook=hook)
                raise HookError(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}") from exc
            log.error("hook.timeout", plugin=impl.plugin_name, hook=hook, deadline=deadline)
            raise HookError(impl.plugin_name, hook, f"missed its {deadline}s deadline") from None
        except HookError:
            raise
        except Exception as exc:
            log.exception("hook.failed", plugin=impl.plugin_name, hook=hook)
            raise HookError(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}") from exc

    def subscribers(self, hook: str) -> list[str]:
        """Active plugins implementing ``hook``, in hook order."""
        _, impls = self._impls(hook)
        return [impl.plugin_name for impl in impls]

    async def call_plugin(self, hook: str, plugin: str, deadline: float | None = None, **kwargs: Any) -> Any:
        """Call one active plugin's implementation of ``hook`` (None if it has none)."""
        _, impls = self._impls(hook)
        for impl in impls:
            if impl.plugin_name == plugin:
                return await self._run_impl(hook, impl, kwargs, deadline)
        return None

    async def call_each(self, hook: str, deadline: float | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Collect-all: ``(plugin name, result)`` for every non-None result, in hook
        order. The first failing hookimpl raises :class:`HookError`."""
        _, impls = self._impls(hook)
        results = []
        for impl in impls:
            result = await self._run_impl(hook, impl, kwargs, deadline)
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    async def call(self, hook: str, deadline: float | None = None, **kwargs: Any) -> list[Any]:
        """Collect-all: every non-None result, in hook order."""
        return [result for _, result in await self.call_each(hook, deadline, **kwargs)]

    async def first(self, hook: str, deadline: float | None = None, **kwargs: Any) -> Any:
        """Firstresult: the first non-None result in hook order, or None."""
        _, impls = self._impls(hook)
        for impl in impls:
            result = await self._run_impl(hook, impl, kwargs, deadline)
            if result is not None:
                return result
        return None

    async def gather_each(self, hook: str, deadline: float | None = None, **kwargs: Any):
        """Collect-all run concurrently: ``(plugin, result or HookError)`` pairs in
        hook order. A failing plugin does not stop the others; the caller decides."""
        _, impls = self._impls(hook)

        async def one(impl):
            try:
                return impl.plugin_name, await self._run_impl(hook, impl, kwargs, deadline)
            except HookError as exc:
                return impl.plugin_name, exc

        pairs = await asyncio.gather(*(one(impl) for impl in impls))
        return [(name, result) for name, result in pairs if result is not None]

    def call_sync(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Collect-all for sync-only hooks (``*_blueprints``, ``jobs_register``)."""
        _, impls = self._impls(hook)
        results = []
        for impl in impls:
            args = {a: (self._settings.get(impl.plugin_name) if a == "settings" and a not in kwargs else kwargs[a]) for a in impl.argnames}
            try:
                result = impl.function(**args)
            except Exception as exc:
                log.exception("hook.failed", plugin=impl.plugin_name, hook=hook)
                raise HookError(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}") from exc
            if inspect.isawaitable(result):
                raise HookError(impl.plugin_name, hook, "must be a plain function, not async")
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def all_call_sync(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Like :meth:`call_sync` over every usable installed plugin, enabled or not
        (blueprints are registered once at app creation; a disabled plugin's
        routes are then refused at request time)."""
        results = []
        for name, plugin in sorted(self.installed.items()):
            if plugin.error:
                continue
            function = getattr(plugin.obj, hook, None)
            if function is None or not hasattr(function, f"{PROJECT_NAME}_impl"):
                continue
            results.append((name, function(**kwargs)))
        return [(n, r) for n, r in results if r is not None]
