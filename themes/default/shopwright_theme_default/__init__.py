"""The default Shopwright storefront theme."""
from __future__ import annotations

from pathlib import Path

from engine import ThemeManifest

from shopwright_theme_default.settings import DefaultThemeSettings

HERE = Path(__file__).resolve().parent

MANIFEST = ThemeManifest(
    name="default",
    title="Default",
    version="0.1.0",
    engine=">=0.1,<1",
    parent=None,
    templates=HERE / "templates",
    static=HERE / "static",
    settings=DefaultThemeSettings,
)
