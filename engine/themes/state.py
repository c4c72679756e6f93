"""Per-process theme state: installed themes, the active one, its settings and
one cached Jinja environment per (theme, preview).

``refresh_if_stale`` re-reads every ``theme.*`` site setting in one query when
the last read is older than ``plugins.refresh_interval_seconds`` (≤ 2 s), so
``shopwright themes activate`` in another process is in force everywhere
within 2 s. When those settings changed and name an active theme this process
does not have (or has broken), the environment is searched for themes installed
since (:meth:`ThemeState.rescan`): a theme ``pip install``ed while the store runs
is used without a restart. Environments are rebuilt when the active plugins or
the files of the merchant overrides folder change; the template files in
use are checked for edits once per refresh (see
:mod:`engine.themes.templating`).
"""
from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel

from engine.themes import registry
from engine.system import site_settings
from engine.themes.assets import AssetNotFound, AssetResolver
from engine.themes.templating import ThemeEnvironment, build_environment

log = structlog.get_logger("shopwright.themes")

DEFAULT_OVERRIDES = Path("var/overrides")


@dataclass(frozen=True)
class ThemeView:
    """The theme one request renders with."""

    name: str
    settings: BaseModel | None
    environment: ThemeEnvironment
    preview: bool = False


def plugin_template_mounts(host) -> list[tuple[str, Path]]:
    """``(plugin, templates folder)`` of the active plugins that ship templates."""
    mounts = []
    for name in sorted(host.active):
        manifest = host.installed[name].manifest
        if manifest is not None and manifest.templates is not None and Path(manifest.templates).is_dir():
            mounts.append((name, Path(manifest.templates)))
    return mounts


def folder_signature(folder: Path | None) -> tuple:
    if folder is None or not folder.is_dir():
        return ()
    entries = []
    for root, _, files in os.walk(folder):
        for file in files:
            entries.append(os.path.relpath(os.path.join(root, file), folder))
    return tuple(sorted(entries))


class ThemeState:
    def __init__(self, runtime, overrides_dir: Path | None = DEFAULT_OVERRIDES,
                 themes: dict[str, registry.InstalledTheme] | None = None) -> None:
        self.runtime = runtime
        self.overrides_dir = overrides_dir
        #: themes are searched for again while running only when none were given
        self.discovers = themes is None
        self.themes = themes if themes is not None else registry.discover_themes()
        self.fallback = runtime.settings.theme
        self.active = self.fallback
        self.stored: dict[str, Any] = {}
        self._settings: dict[str, BaseModel | None] = {}
        self._environments: dict[tuple, ThemeEnvironment] = {}
        self._read_at = 0.0
        self._lock = asyncio.Lock()
        self._overrides_sig: tuple = ()
        #: how many times the settings were read (each one a new round of template checks)
        self.refreshes = 0
        self._mounts: list[tuple[str, Path]] = []
        self._mounts_for: tuple[str, ...] | None = None
        self.globals: dict[str, Any] = {}
        self.filters: dict[str, Any] = {}

    # -------------------------------------------------------------- refresh
    async def refresh_if_stale(self) -> None:
        interval = self.runtime.settings.plugins.refresh_interval_seconds
        if time.monotonic() - self._read_at < interval:
            return
        async with self._lock:
            if time.monotonic() - self._read_at < interval:
                return
            await self.refresh()

    async def refresh(self) -> None:
        values = await site_settings.read_prefix("theme.")
        self._read_at = time.monotonic()
        self.refreshes += 1  # the template files are checked for changes again
        self._overrides_sig = folder_signature(self.overrides_dir)
        if values == self.stored and self._settings:
            return
        changed, self.stored = values != self.stored, values
        wanted = values.get(registry.ACTIVE_THEME_KEY) or self.fallback
        if changed and self.discovers and not self.usable(wanted):
            self.rescan()
        active = wanted if self.usable(wanted) else (self.fallback if self.usable(self.fallback) else None)
        if active != wanted:
            log.error("theme.unusable", theme=wanted, using=active, error=self._why(wanted))
        if active != self.active:
            log.info("theme.active", theme=active)
        self.active = active or "core"
        self._settings = {}

    def rescan(self) -> list[str]:
        """Search the environment for themes installed since they were last read:
        themes not known yet are added and broken ones replaced by what is
        installed now. Returns the names of the themes that became usable."""
        usable = []
        for name, theme in registry.discover_themes().items():
            current = self.themes.get(name)
            if current is None or current.error:
                self.themes[name] = theme
                if not theme.error:
                    usable.append(name)
        if usable:
            log.info("themes.discovered", themes=usable)
        return usable

    def _why(self, name: str) -> str:
        theme = self.themes.get(name)
        return theme.error if theme and theme.error else f"theme {name!r} is not installed"

    def usable(self, name: str | None) -> bool:
        theme = self.themes.get(name or "")
        return bool(theme and theme.manifest and not theme.error)

    # -------------------------------------------------------------- settings
    def settings_for(self, name: str) -> BaseModel | None:
        if name not in self._settings:
            theme = self.themes.get(name)
            stored = self.stored.get(registry.SETTINGS_KEY_PREFIX + name)
            self._settings[name] = registry.load_theme_settings(theme, stored) if theme else None
        return self._settings[name]

    # -------------------------------------------------------------- environments
    def chain(self, name: str) -> list[registry.InstalledTheme]:
        if not self.usable(name):
            return []
        return registry.theme_chain(name, self.themes)

    def _plugin_mounts(self) -> list[tuple[str, Path]]:
        """:func:`plugin_template_mounts`, looked up once per set of active
        plugins (a plugin installed while running is new to that set when it
        becomes active)."""
        host = self.runtime.host
        active = tuple(host.active)
        if self._mounts_for != active:
            self._mounts, self._mounts_for = plugin_template_mounts(host), active
        return self._mounts

    def environment(self, name: str, preview: bool = False) -> ThemeEnvironment:
        mounts = self._plugin_mounts()
        key = (name, preview, tuple(mounts), self._overrides_sig)
        env = self._environments.get(key)
        if env is None:
            stale = [k for k in self._environments if k[:2] == (name, preview)]
            for old in stale:
                del self._environments[old]
            env = self.build(name, mounts)
            self._environments[key] = env
        return env

    def build(self, name: str, mounts: list[tuple[str, Path]] | None = None, strict: bool = False) -> ThemeEnvironment:
        chain = self.chain(name)
        resolver = AssetResolver([(t.name, t.manifest.static) for t in chain])
        theme_name = name

        def asset_url(path: str) -> str:
            try:
                return resolver.url(path)
            except AssetNotFound as exc:
                log.warning("theme.asset_missing", theme=theme_name, asset=path, error=str(exc))
                return f"/static/theme/{theme_name}/missing/{path}"

        def image_src(value: str | None) -> str:
            """A theme setting's image: absolute paths and URLs as they are, else a theme asset."""
            if not value:
                return ""
            if value.startswith(("/", "https://", "http://", "data:")):
                return value
            return asset_url(value)

        return build_environment(
            [(t.name, t.manifest.templates) for t in chain],
            overrides=self.overrides_dir,
            plugin_templates=mounts if mounts is not None else plugin_template_mounts(self.runtime.host),
            globals_={**self.globals, "asset_url": asset_url, "image_src": image_src, "theme_name": name},
            filters=self.filters,
            strict=strict,
            check_round=lambda: self.refreshes,
        )

    def view(self, name: str | None = None, settings: BaseModel | None = None, preview: bool = False) -> ThemeView:
        name = name or self.active
        return ThemeView(
            name=name,
            settings=settings if settings is not None else self.settings_for(name),
            environment=self.environment(name, preview),
            preview=preview,
        )
