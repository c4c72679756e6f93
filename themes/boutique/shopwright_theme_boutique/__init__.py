"""Boutique: an editorial storefront theme that extends ``default``.

It overrides a handful of templates (the home page, the header, the 404 page,
and -- through ``{% extends "parent:..." %}`` -- the layout and the product
page), ships its own stylesheet and logo, and changes the default colours and
fonts. Everything else comes from the default theme.
"""
from __future__ import annotations

from pathlib import Path

from engine import ThemeManifest

from shopwright_theme_boutique.settings import BoutiqueSettings

HERE = Path(__file__).resolve().parent

MANIFEST = ThemeManifest(
    name="boutique",
    title="Boutique",
    version="0.1.0",
    engine=">=0.1,<1",
    parent="default",
    templates=HERE / "templates",
    static=HERE / "static",
    settings=BoutiqueSettings,
)
