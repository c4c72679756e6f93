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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import pluggy
import structlog
from pydantic import BaseModel

from engine import PROJECT_NAME, audit, hookspecs
from engine.db.sql import write_transaction
from engine.plugins.calls import HookCaller
from engine.plugins.discovery import InstalledPlugin, default_plugins, discover_installed, inspect_plugin
from engine.plugins.errors import PluginError
from engine.plugins.failures import HookFailure
from engine.plugins.state import StoredState

log = structlog.get_logger("shopwright.plugins")


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


class PluginHost(HookCaller):
    """Owns one pluggy PluginManager and the plugins one app may use.

    ``plugins``: explicit plugin modules/objects (tests), or None to discover
    entry points. Core defaults are always installed (``include_defaults``).
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

    def _apply_rows(self, rows: dict[str, dict]) -> bool:
        order = self._state.load(rows)
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
        self._active = order
        return True

    async def refresh(self) -> bool:
        """Re-read ``plugin_state``; returns True when something changed."""
        return self._apply_rows(await self._state.read())

    # ------------------------------------------------------------ settings
    def settings_for(self, name: str) -> BaseModel | None:
        """The validated settings of an active plugin (secrets decrypted)."""
        return self._state.settings_for(name)

    def shown_settings(self, name: str) -> dict[str, Any]:
        """Settings for display: secrets masked."""
        return self._state.shown_settings(self.get(name))

    def get(self, name: str) -> InstalledPlugin:
        try:
            return self.installed[name]
        except KeyError:
            raise PluginError(f"no plugin named {name!r} is installed") from None

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

    async def enable(self, name: str, *, actor: dict | None = None) -> None:
        """Enable ``name`` and audit ``plugin.enable``. Raises PluginError, writing
        nothing, when it is not installed or unusable; when it is enabled (and
        audited) but its stored settings do not validate, raises PluginError
        saying it is inactive."""
        plugin = self.get(name)
        if plugin.error:
            raise PluginError(f"plugin {name!r} cannot be enabled: {plugin.error}")
        await self._change(name, "plugin.enable", {}, actor, enabled=True)
        if name in self._state.settings_errors:
            raise PluginError(f"plugin {name!r} is enabled but inactive: {self._state.settings_errors[name]}")

    async def disable(self, name: str, *, actor: dict | None = None) -> None:
        """Disable ``name`` (its data is kept) and audit ``plugin.disable``.
        Raises PluginError, writing nothing, when it is not installed."""
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
