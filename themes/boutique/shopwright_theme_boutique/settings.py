"""Boutique's settings: the default theme's, with its own colours, fonts and
an announcement bar."""
from __future__ import annotations

from pydantic import Field

from shopwright_theme_default.settings import Banner, Colours, DefaultThemeSettings, Fonts, Logo


def _colours() -> Colours:
    return Colours(primary="#4a2545", on_primary="#fdf8f3", accent="#a0522d", background="#fdf8f3",
                   surface="#f3ebe2", text="#2b1d28", muted="#6b5a64")


def _banners() -> list[Banner]:
    return [Banner(heading="The autumn edit", text="Pieces chosen to last, in colours that do not shout.",
                   image="images/hero.svg", image_alt="Layered autumn-coloured shapes",
                   link_url="/search?sort=newest", link_label="Discover the edit")]


class BoutiqueSettings(DefaultThemeSettings):
    colours: Colours = Field(default_factory=_colours)
    fonts: Fonts = Field(default_factory=lambda: Fonts(body="humanist", headings="serif"))
    logo: Logo = Field(default_factory=lambda: Logo(image="images/logo.svg", width=180))
    banners: list[Banner] = Field(default_factory=_banners, max_length=6)
    featured_count: int = Field(6, ge=0, le=24)
    announcement: str = Field("", max_length=140,
                              description="A line above the header; empty hides it. Shipping terms do not belong "
                                          "here: the shipping promise above it comes from the shipping configuration.")
