"""Discovery of installed themes, the active theme and theme settings.

Themes are distributions registered under the ``shopwright.themes`` entry
point group; each exposes ``MANIFEST = ThemeManifest(...)``. The active theme
and each theme's settings live in ``site_settings`` (JSON values):

- ``theme.active``: the active theme's name (``Settings.theme`` until set);
- ``theme.settings.<name>``: the merchant's values for theme ``<name>``,
  validated against the manifest's settings model before they are written.

Activating a theme and saving theme settings write their audit entry
(``theme.activate``, ``theme.configure``; :mod:`engine.audit`) in the
transaction that stores the change, whoever asked for it — the admin, the API
or the CLI. A refused change writes neither.

Names ``core``, ``overrides``, ``plugins`` and ``parent`` are reserved: they
are template namespaces (see :mod:`engine.themes.templating`).
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from engine import audit
from engine.db.sql import write_transaction
from engine.manifest import ThemeManifest
from engine.plugins import THEME_GROUP, check_engine_range, one_line
from engine.system import site_settings

ACTIVE_THEME_KEY = "theme.active"
SETTINGS_KEY_PREFIX = "theme.settings."
RESERVED_NAMES = frozenset({"core", "overrides", "plugins", "parent"})
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ThemeError(ValueError):
    """A theme cannot be used, or theme settings are invalid (message names why)."""


@dataclass
class InstalledTheme:
    name: str
    manifest: ThemeManifest | None
    version: str
    error: str | None = None


def inspect_theme(manifest: Any, expected_name: str | None = None, version: str = "") -> InstalledTheme:
    """Validate a loaded manifest; never raises."""
    if not isinstance(manifest, ThemeManifest):
        return InstalledTheme(expected_name or "?", None, version, "has no MANIFEST = ThemeManifest(...)")
    error = check_engine_range(manifest)
    if expected_name and manifest.name != expected_name:
        error = f"entry point name {expected_name!r} differs from manifest name {manifest.name!r}"
    elif not _NAME.match(manifest.name):
        error = f"theme name {manifest.name!r} must be lower_snake_case"
    elif manifest.name in RESERVED_NAMES:
        error = f"theme name {manifest.name!r} is reserved"
    elif manifest.parent == manifest.name:
        error = "a theme cannot be its own parent"
    elif manifest.templates is not None and not manifest.templates.is_dir():
        error = f"templates folder {manifest.templates} does not exist"
    return InstalledTheme(manifest.name, manifest, version or manifest.version, error)


def discover_themes() -> dict[str, InstalledTheme]:
    """Every installed theme by name; unusable ones carry ``error`` (one line).
    Reads the environment afresh (``importlib.invalidate_caches()`` first): a
    theme installed since the process started is found."""
    importlib.invalidate_caches()
    themes: dict[str, InstalledTheme] = {}
    for ep in sorted(entry_points(group=THEME_GROUP), key=lambda ep: ep.name):
        version = ep.dist.version if ep.dist else ""
        try:
            obj = ep.load()
        except Exception as exc:  # a broken theme must not stop the store
            themes[ep.name] = InstalledTheme(ep.name, None, version, one_line(f"import failed: {exc!r}"))
            continue
        themes[ep.name] = inspect_theme(getattr(obj, "MANIFEST", obj), ep.name, version)
    for theme in themes.values():
        if theme.error or not theme.manifest:
            continue
        try:
            theme_chain(theme.name, themes)
        except ThemeError as exc:
            theme.error = str(exc)
    return themes


def theme_chain(name: str, themes: dict[str, InstalledTheme]) -> list[InstalledTheme]:
    """``name`` followed by its parent, grandparent, ... Raises ThemeError for a
    missing or broken ancestor or a cycle."""
    chain: list[InstalledTheme] = []
    current: str | None = name
    while current is not None:
        if any(t.name == current for t in chain):
            raise ThemeError(f"theme parents form a cycle: {' -> '.join(t.name for t in chain)} -> {current}")
        theme = themes.get(current)
        if theme is None or theme.manifest is None:
            what = "theme" if current == name else "parent theme"
            raise ThemeError(f"{what} {current!r} is not installed")
        if theme.error and chain:
            raise ThemeError(f"parent theme {current!r} is broken: {theme.error}")
        chain.append(theme)
        current = theme.manifest.parent
    return chain


# ------------------------------------------------------------------ site settings
async def active_theme_name(default: str) -> str:
    values = await site_settings.read_prefix(ACTIVE_THEME_KEY)
    return values.get(ACTIVE_THEME_KEY) or default


async def set_active_theme(name: str, *, actor: dict | None = None) -> None:
    """Activate an installed, usable theme and audit ``theme.activate`` (target
    ``name=<theme>``) as ``actor`` (see :func:`engine.audit.record`; None: no
    actor). Every process sees it within 2 s. Raises ThemeError, writing
    nothing, for a theme that is not installed or cannot be used."""
    themes = discover_themes()
    if name not in themes:
        raise ThemeError(f"no theme named {name!r} is installed (installed: {', '.join(themes) or 'none'})")
    if themes[name].error:
        raise ThemeError(f"theme {name!r} cannot be activated: {themes[name].error}")
    async with write_transaction():
        await site_settings.write(ACTIVE_THEME_KEY, name)
        await audit.record("theme.activate", f"name={name}", {}, actor)


# ------------------------------------------------------------------ theme settings
def _describe(exc: ValidationError) -> tuple[str, dict[str, str]]:
    errors = {".".join(str(p) for p in e["loc"]) or "settings": e["msg"] for e in exc.errors()}
    first = next(iter(errors.items()))
    return f"invalid theme setting {first[0]}: {first[1]}", errors


class ThemeSettingsError(ThemeError):
    """Invalid theme settings; ``errors`` maps a dotted field path to a message."""

    def __init__(self, message: str, errors: dict[str, str]) -> None:
        super().__init__(message)
        self.errors = errors


def deep_merge(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` over ``base``; nested objects are merged key by key, lists replaced."""
    merged = dict(base)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def validate_theme_settings(theme: InstalledTheme, values: dict[str, Any],
                            base: dict[str, Any] | None = None) -> BaseModel | None:
    """``values`` merged over ``base`` (see :func:`deep_merge`) and validated against the
    theme's settings model. Raises ThemeSettingsError; None when the theme has
    no settings."""
    model = theme.manifest.settings if theme.manifest else None
    if model is None:
        if values:
            raise ThemeSettingsError(f"theme {theme.name!r} has no settings", {"settings": "no settings"})
        return None
    unknown = sorted(set(values) - set(model.model_fields))
    if unknown:
        message = f"theme {theme.name!r} has no setting {unknown[0]!r} (known: {', '.join(model.model_fields)})"
        raise ThemeSettingsError(message, {key: "unknown setting" for key in unknown})
    try:
        return model.model_validate(deep_merge(base or {}, values))
    except ValidationError as exc:
        raise ThemeSettingsError(*_describe(exc)) from None


def load_theme_settings(theme: InstalledTheme, stored: dict[str, Any] | None) -> BaseModel | None:
    """Stored values validated; values that no longer validate (the theme was
    upgraded) are dropped field by field, so the storefront keeps rendering."""
    model = theme.manifest.settings if theme.manifest else None
    if model is None:
        return None
    stored = {k: v for k, v in (stored or {}).items() if k in model.model_fields}
    try:
        return model.model_validate(stored)
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        return model.model_validate({k: v for k, v in stored.items() if k not in bad})


async def theme_settings(name: str, themes: dict[str, InstalledTheme] | None = None) -> BaseModel | None:
    """The validated settings of theme ``name`` (defaults where the merchant set nothing)."""
    themes = themes if themes is not None else discover_themes()
    theme = _usable(name, themes)
    key = SETTINGS_KEY_PREFIX + name
    stored = (await site_settings.read_prefix(key)).get(key)
    return load_theme_settings(theme, stored)


def setting_keys(values: dict[str, Any], prefix: str = "") -> list[str]:
    """The settings ``values`` sets, as sorted dotted paths (``colours.primary``:
    nested objects are merged key by key, see :func:`deep_merge`); never a value."""
    keys: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            keys += setting_keys(value, path + ".")
        else:
            keys.append(path)
    return sorted(keys)


async def update_theme_settings(name: str, values: dict[str, Any],
                                themes: dict[str, InstalledTheme] | None = None, *,
                                actor: dict | None = None) -> BaseModel | None:
    """Validate ``values`` (merged over the current settings), store them and
    audit ``theme.configure`` (target ``name=<theme>``, details ``{"keys":
    setting_keys(values)}``) as ``actor`` (None: no actor). Raises
    ThemeError for a theme that cannot be used and ThemeSettingsError naming
    the bad field; nothing is written or audited then."""
    themes = themes if themes is not None else discover_themes()
    theme = _usable(name, themes)
    async with write_transaction():  # the read, the merge and the write in one transaction
        current = await theme_settings(name, themes)
        validated = validate_theme_settings(theme, values, current.model_dump(mode="json") if current else None)
        await site_settings.write(SETTINGS_KEY_PREFIX + name, validated.model_dump(mode="json") if validated else {})
        await audit.record("theme.configure", f"name={name}", {"keys": setting_keys(values)}, actor)
    return validated


def _usable(name: str, themes: dict[str, InstalledTheme]) -> InstalledTheme:
    theme = themes.get(name)
    if theme is None:
        raise ThemeError(f"no theme named {name!r} is installed (installed: {', '.join(themes) or 'none'})")
    if theme.error or theme.manifest is None:
        raise ThemeError(f"theme {name!r} is unusable: {theme.error}")
    return theme
