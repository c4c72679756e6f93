"""Discovery of installed themes and the active theme setting."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import entry_points

from engine.manifest import ThemeManifest
from engine.plugins import THEME_GROUP, _check_engine_range

ACTIVE_THEME_KEY = "theme.active"


@dataclass
class InstalledTheme:
    name: str
    manifest: ThemeManifest | None
    version: str
    error: str | None = None


def discover_themes() -> dict[str, InstalledTheme]:
    themes: dict[str, InstalledTheme] = {}
    for ep in sorted(entry_points(group=THEME_GROUP), key=lambda ep: ep.name):
        version = ep.dist.version if ep.dist else ""
        try:
            obj = ep.load()
            manifest = getattr(obj, "MANIFEST", obj)
            if not isinstance(manifest, ThemeManifest):
                raise TypeError("has no MANIFEST = ThemeManifest(...)")
        except Exception as exc:
            themes[ep.name] = InstalledTheme(ep.name, None, version, f"import failed: {exc!r}")
            continue
        error = _check_engine_range(manifest)  # type: ignore[arg-type]
        if manifest.name != ep.name:
            error = f"entry point name {ep.name!r} differs from manifest name {manifest.name!r}"
        themes[ep.name] = InstalledTheme(manifest.name, manifest, version or manifest.version, error)
    for theme in themes.values():
        if theme.manifest and theme.manifest.parent and not theme.error:
            if theme.manifest.parent not in themes:
                theme.error = f"parent theme {theme.manifest.parent!r} is not installed"
    return themes


async def active_theme_name(default: str) -> str:
    from engine.system.tables import SiteSetting

    row = await SiteSetting.select(SiteSetting.value).where(SiteSetting.key == ACTIVE_THEME_KEY).first().run()
    return json.loads(row["value"]) if row else default


async def set_active_theme(name: str) -> None:
    from engine.system.tables import SiteSetting

    themes = discover_themes()
    if name not in themes:
        raise ValueError(f"no theme named {name!r} is installed (installed: {', '.join(themes) or 'none'})")
    if themes[name].error:
        raise ValueError(f"theme {name!r} cannot be activated: {themes[name].error}")
    now = datetime.now(timezone.utc)
    value = json.dumps(name)
    if await SiteSetting.exists().where(SiteSetting.key == ACTIVE_THEME_KEY).run():
        await SiteSetting.update({SiteSetting.value: value, SiteSetting.updated_at: now}).where(
            SiteSetting.key == ACTIVE_THEME_KEY
        ).run()
    else:
        await SiteSetting.insert(SiteSetting(key=ACTIVE_THEME_KEY, value=value, updated_at=now)).run()
