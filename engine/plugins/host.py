"""The plugin host: the plugins one app may use, and the calls into them.

A :class:`PluginHost` is what the runtime owns; there is no global plugin manager, each host
has its own pluggy ``PluginManager``. It installs the core defaults and the discovered (or
explicitly given) plugins (:mod:`engine.plugins.discovery`), registers the ones the stored
state activates, in hook order (:mod:`engine.plugins.state`), and calls their hooks by each
spec's contract (:mod:`engine.plugins.calls`: ``await host.hook(name, ...)``), recording
failures for staff (:meth:`PluginHost.failures`). Every process calls :meth:`PluginHost.refresh` every
``plugins.refresh_interval_seconds`` (≤ 2 s), so a change made by the CLI or the admin in
one process is in force everywhere without a restart. Every change (enable, disable,
priority, settings) is audited in the same transaction as the ``plugin_state`` write.

A host that discovers its plugins (no explicit list) also finds plugins installed while
it runs: :meth:`PluginHost.refresh` searches the environment again (:meth:`PluginHost.rescan`)
only when the stored state changed since it last looked, or enables a plugin the host
does not have — never otherwise, so the steady state costs nothing. Code that keeps
something per installed plugin (tables bound to the database, job tables) subscribes
with :meth:`PluginHost.on_discovered`.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pluggy
import structlog
from pydantic import BaseModel

from engine import PROJECT_NAME, audit, hookspecs
from engine.db.migrate import migrate
from engine.db.sql import write_transaction
from engine.plugins.calls import HookCaller
from engine.plugins.discovery import InstalledPlugin, default_plugins, discover_installed, inspect_plugin, one_line
from engine.plugins.errors import PluginError
from engine.plugins.failures import HookFailure
from engine.plugins.state import StoredState

log = structlog.get_logger("shopwright.plugins")


@dataclass
class PluginStatus:
    """What ``plugins list`` and ``/readyz`` report for one plugin; ``error``, why it
    cannot be used, is always one line."""

    name: str
    title: str
    version: str
    enabled: bool
    active: bool
    core: bool
    priority: int
    error: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.error:
            self.error = one_line(self.error)


#: Why a plugin the stored state enables is not used in this process.
NOT_INSTALLED = "enabled, but not installed in this environment (pip install its distribution, or disable it)"


class PluginHost(HookCaller):
    """Owns one pluggy PluginManager and the plugins one app may use.

    ``plugins``: explicit plugin modules/objects (tests), or None to discover
    entry points, then and while running (``discovers``). Core defaults are
    always installed (``include_defaults``).
    The hook calls (``hook``, ``hook_sync``, ``hook_plugin``, ``call_provider``)
    are :class:`HookCaller`'s.
    """

    def __init__(
        self,
        settings,
        plugins: Iterable[Any] | None = None,
        include_defaults: bool = True,
    ) -> None:
        self.settings = settings
        self.discovers = plugins is None
        self.installed: dict[str, InstalledPlugin] = {}
        self._loaded_entry_points: set[str] = set()
        self._scanned: str | None = None  # the stored state at the last search
        self._listeners: list[Callable[[list[InstalledPlugin]], Any]] = []
        found: list[InstalledPlugin] = default_plugins() if include_defaults else []
        if plugins is None:
            found += discover_installed()
        else:
            found += [inspect_plugin(obj, "explicit") for obj in plugins]
        self._install(found)
        pm = pluggy.PluginManager(PROJECT_NAME)
        for module in hookspecs.MODULES:
            pm.add_hookspecs(module)
        self._state = StoredState(self.installed, settings)
        super().__init__(pm, self._state.settings_for, settings.plugins, is_core=self._is_core,
                         installed=self._usable, stored_settings=self._state.stored_settings)
        self._active: list[str] = []
        self._apply_rows({})

    # ------------------------------------------------------------ state
    @property
    def active(self) -> list[str]:
        """Names of the plugins whose hooks are called, in hook order."""
        return list(self._active)

    def is_active(self, name: str) -> bool:
        return name in self._active

    # ------------------------------------------------------------ discovery
    def _install(self, found: list[InstalledPlugin]) -> list[InstalledPlugin]:
        """Add ``found`` to :attr:`installed` (an entry point whose import failed before
        is replaced); returns those added. A second plugin of a known name is refused."""
        added = []
        for plugin in found:
            if plugin.entry_point and plugin.obj is not None:
                self._loaded_entry_points.add(plugin.entry_point)
            current = self.installed.get(plugin.name)
            if current is not None and not (current.entry_point and current.obj is None):
                plugin.error = plugin.error or f"duplicate plugin name {plugin.name!r}"
                log.error("plugin.duplicate", plugin=plugin.name)
                continue
            self.installed[plugin.name] = plugin
            added.append(plugin)
            if plugin.error:
                log.error("plugin.unusable", plugin=plugin.name, error=plugin.error)
        return added

    def on_discovered(self, listener: Callable[[list[InstalledPlugin]], Any]) -> None:
        """Call ``listener(plugins)`` with the plugins each :meth:`rescan` adds
        (usable or not), before they can be enabled here."""
        self._listeners.append(listener)

    def rescan(self, retry_failed: bool = True) -> list[InstalledPlugin]:
        """Search the environment for plugins installed since this host looked
        (``pip install`` while the process runs): entry points not loaded yet — and,
        with ``retry_failed``, those whose import failed — are loaded and installed,
        usable or not (a broken one carries its ``error``). Returns the plugins added.
        A host given explicit plugins never rescans. An upgraded distribution whose
        modules are already imported is not reloaded (that needs a restart)."""
        if not self.discovers:
            return []
        skip = set(self._loaded_entry_points)
        if not retry_failed:
            skip |= {plugin.entry_point for plugin in self.installed.values() if plugin.entry_point}
        added = self._install(discover_installed(skip=skip))
        if added:
            log.info("plugins.discovered", plugins=[plugin.name for plugin in added])
            for listener in list(self._listeners):
                try:
                    listener(added)
                except Exception:  # one subscriber must not stop discovery
                    log.exception("plugins.discovery_listener_failed")
        return added

    def _apply_rows(self, rows: dict[str, dict], force: bool = False) -> bool:
        order = self._state.load(rows, force=force)
        if order is None:
            return False
        for name in list(self.pm.list_name_plugin()):
            self.pm.unregister(name=name[0])
        # pluggy calls hookimpls last-registered first: register in reverse hook order.
        for name in reversed(order):
            self.pm.register(self.installed[name].obj, name=name)
        self.pm.check_pending()
        if order != self._active:
            log.info("plugins.active", plugins=order)
            not_ready = {name: needs for name in order if not self.installed[name].core and (needs := self.needs(name))}
            if not_ready:
                log.warning("plugins.not_ready", plugins=not_ready)
        self._active = order
        return True

    async def refresh(self) -> bool:
        """Re-read ``plugin_state``; returns True when something changed.

        A discovering host first searches the environment (:meth:`rescan`) when the
        stored state differs from the one it last searched for (a plugin was enabled,
        disabled or configured anywhere), or enables a plugin it does not have; failed
        imports are retried only in the first case. Otherwise nothing but the one
        ``plugin_state`` query runs."""
        rows = await self._state.read()
        added: list[InstalledPlugin] = []
        changed = False
        if self.discovers:
            signature = self._state.signature(rows)
            changed = signature != self._scanned
            if changed or any(row["enabled"] and name not in self.installed for name, row in rows.items()):
                self._scanned = signature
                added = self.rescan(retry_failed=changed)
        before = self._activation_state()
        applied = self._apply_rows(rows, force=bool(added))
        if applied:
            await self._announce_activation(before)
        if changed and self._state.missing():
            log.error("plugins.not_installed", plugins=self._state.missing())
        return applied

    # ------------------------------------------------------------ activation
    def _activation_state(self) -> dict[str, BaseModel | None]:
        return {name: self._state.settings_for(name) for name in self._active}

    async def _announce_activation(self, before: dict[str, BaseModel | None]) -> None:
        """``lifecycle_activation`` for each plugin that became active (or whose
        settings changed while active) and each that stopped being active."""
        after = self._activation_state()
        for name, settings in after.items():
            if name not in before or before[name] != settings:
                await self.hook_plugin("lifecycle_activation", name, active=True, settings=settings)
        for name, settings in before.items():
            if name not in after:
                await self.hook_plugin("lifecycle_activation", name, active=False, settings=settings)

    async def deactivate(self) -> None:
        """The process is stopping: ``lifecycle_activation(active=False)`` for
        every active plugin (so it closes what it opened)."""
        for name, settings in self._activation_state().items():
            await self.hook_plugin("lifecycle_activation", name, active=False, settings=settings)

    # ------------------------------------------------------------ settings
    def settings_for(self, name: str) -> BaseModel | None:
        """The validated settings of an active plugin (secrets decrypted)."""
        return self._state.settings_for(name)

    def stored_settings(self, name: str) -> BaseModel | None:
        """A plugin's validated settings whether it is active or not (secrets
        decrypted: never show them); None without a model or when the stored
        ones do not validate."""
        return self._state.stored_settings(name)

    def shown_settings(self, name: str) -> dict[str, Any]:
        """Settings for display: secrets masked (none for a plugin that is enabled
        but not installed here)."""
        if name in self._state.missing():
            return {}
        return self._state.shown_settings(self.get(name))

    def get(self, name: str) -> InstalledPlugin:
        """The installed plugin ``name``; PluginError ("no plugin named ... is
        installed", with a "did you mean" when a name is close) otherwise."""
        try:
            return self.installed[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.installed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise PluginError(f"no plugin named {name!r} is installed{hint}") from None

    # ------------------------------------------------------------ changes
    # Each change writes ``plugin_state`` and its audit entry (engine.audit) in one
    # transaction: a refused change writes neither, a stored one always has its entry.
    # ``actor`` is who made the change (a staff member or token with the request's
    # ``ip`` and ``user_agent``, or engine.audit.command_line_actor()); None records
    # an entry without an actor. The target is ``name=<plugin>``.
    async def _change(self, name: str, action: str, details: dict[str, Any], actor: dict | None,
                      **values: Any) -> None:
        async with write_transaction():
            await self._state.write(name, **values)
            await audit.record(action, f"name={name}", details, actor)
        await self.refresh()

    async def enable(self, name: str, *, actor: dict | None = None, database: Any = None,
                     echo: Callable[..., Any] | None = None) -> None:
        """Enable ``name`` and audit ``plugin.enable``. A name this host does not
        know is searched for first (:meth:`rescan`: installed while running).
        With ``database`` (an :class:`engine.db.Database`), the plugin's pending
        migrations are applied first, their output passed to ``echo``: every
        surface that enables a plugin (CLI, admin page, admin API) passes it, so a
        plugin never runs without its tables. Raises PluginError, writing
        nothing, when it is not installed or unusable; when it is enabled (and
        audited) but its stored settings do not validate, raises PluginError
        saying it is inactive."""
        if name not in self.installed:
            self.rescan()
        plugin = self.get(name)
        if plugin.error:
            raise PluginError(f"plugin {name!r} cannot be enabled: {plugin.error}")
        if database is not None and plugin.manifest is not None and plugin.manifest.piccolo_app:
            await migrate(database, [plugin.manifest.piccolo_app],
                          echo=echo or (lambda *lines: log.info("plugin.migrated", plugin=name,
                                                                output=" ".join(map(str, lines)))))
        await self._change(name, "plugin.enable", {}, actor, enabled=True)
        if name in self._state.settings_errors:
            raise PluginError(f"plugin {name!r} is enabled but inactive: {self._state.settings_errors[name]}")

    async def disable(self, name: str, *, actor: dict | None = None) -> None:
        """Disable ``name`` (its data is kept) and audit ``plugin.disable``.
        Raises PluginError, writing nothing, when it is neither installed nor
        enabled in the stored state (a plugin enabled but not installed here can
        be disabled)."""
        if name not in self._state.missing():
            self.get(name)
        await self._change(name, "plugin.disable", {}, actor, enabled=False)

    async def set_priority(self, name: str, priority: int | None, *, actor: dict | None = None) -> None:
        """Store ``name``'s hook priority (None: the manifest's again) and audit
        ``plugin.priority`` with ``{"priority": priority}``. Raises PluginError,
        writing nothing, when it is not installed."""
        self.get(name)
        await self._change(name, "plugin.priority", {"priority": priority}, actor, priority=priority)

    async def configure(self, name: str, values: dict[str, Any], *, actor: dict | None = None) -> BaseModel:
        """Validate and store settings (merged over the current ones) and audit
        ``plugin.configure`` with ``{"keys": [the keys given, sorted]}`` — never a
        value. Secret values are encrypted before they are written. Raises
        PluginError naming the bad key; nothing is written or audited then."""
        plugin = self.get(name)
        async with write_transaction():
            validated = await self._state.configure(plugin, values)
            await audit.record("plugin.configure", f"name={name}", {"keys": sorted(str(k) for k in values)}, actor)
        await self.refresh()
        return validated

    # ------------------------------------------------------------ report
    def needs(self, name: str) -> list[str]:
        """What installed plugin ``name`` still needs before its integration can
        work (its settings model's ``missing()``, or empty needed fields), one
        line each; [] when it is ready or not installed here."""
        from engine.plugins.report import missing_settings

        plugin = self.installed.get(name)
        if plugin is None or plugin.error:
            return []
        try:
            return missing_settings(plugin, self.stored_settings(name))
        except Exception:  # a plugin's own missing() that raises says nothing, and must not break a report
            log.exception("plugins.needs_failed", plugin=name)
            return []

    def status(self) -> list[PluginStatus]:
        out = []
        for name, plugin in sorted(self.installed.items()):
            manifest = plugin.manifest
            out.append(
                PluginStatus(
                    name=name,
                    title=manifest.title if manifest else name,
                    version=plugin.version,
                    enabled=self._state.enabled(name) if manifest else False,
                    active=name in self._active,
                    core=plugin.core,
                    priority=self._state.priority(name) if manifest else 0,
                    error=plugin.error or self._state.settings_errors.get(name),
                )
            )
        for name in self._state.missing():
            row = self._state.rows[name]
            out.append(PluginStatus(name=name, title=name, version="", enabled=True, active=False, core=False,
                                    priority=int(row.get("priority") or 0), error=NOT_INSTALLED))
        return sorted(out, key=lambda status: status.name)

    def status_of(self, name: str) -> PluginStatus:
        for status in self.status():
            if status.name == name:
                return status
        raise PluginError(f"no plugin named {name!r} is installed")

    def errors(self) -> dict[str, str]:
        """Plugins that are installed but unusable, with the reason."""
        return {s.name: s.error for s in self.status() if s.error}

    # ------------------------------------------------------------ hook calls
    def _is_core(self, name: str) -> bool:
        plugin = self.installed.get(name)
        return bool(plugin and plugin.core)

    def _usable(self) -> list[tuple[str, Any]]:
        """Every usable installed plugin, enabled or not, in hook order
        (for ``plugins="installed"`` hooks)."""
        usable = [name for name, plugin in self.installed.items() if not plugin.error and plugin.manifest]
        return [(name, self.installed[name].obj) for name in sorted(usable, key=lambda n: (self._state.priority(n), n))]

    def event_subscribers(self, event: str) -> list[str]:
        """Active plugins that handle domain event ``event`` (``jobs_handle_event``),
        in hook order: those whose manifest lists it in ``events``, or lists none."""
        return [name for name in self.subscribers("jobs_handle_event")
                if not self.installed[name].manifest.events or event in self.installed[name].manifest.events]

    async def failures(self) -> dict[str, HookFailure]:
        """Every plugin's latest hook failure (:mod:`engine.plugins.failures`),
        as stored by any process plus what this one has not stored yet."""
        return await self.failure_log.read()

    async def flush_failures(self, force: bool = False) -> int:
        """Store this process's hook failure records that are due (all with ``force``)."""
        return await self.failure_log.flush(force)

    def close(self) -> None:
        """Let the hook threads end (the process is stopping)."""
        self.threads.close()
