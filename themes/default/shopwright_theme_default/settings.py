"""What the merchant may change in the default theme (and its children).

Colours are ``#rrggbb`` (they are written into a CSS custom property block,
so nothing else is accepted). Images are paths inside the theme's ``static/``
folder (``images/logo.svg``) or absolute paths on the store (``/media/...``).
Links are paths on the store (``/c/shoes``) or ``https://`` URLs.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_IMAGE = re.compile(r"^(/[^\s\"'<>\\]*|[A-Za-z0-9_][A-Za-z0-9_./-]*)$")
_LINK = re.compile(r"^(/[^\s\"'<>\\]*|https://[^\s\"'<>\\]+)$")


def _colour(value: str) -> str:
    if not _HEX.match(value):
        raise ValueError("must be a colour like #1f4e79")
    return value.lower()


def _image(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not _IMAGE.match(value) or ".." in value:
        raise ValueError("must be a path in the theme's static folder or an absolute path such as /media/logo.png")
    return value


def _link(value: str) -> str:
    if not _LINK.match(value):
        raise ValueError("must be a path on the store (/c/shoes) or an https:// URL")
    return value


Colour = Annotated[str, AfterValidator(_colour)]
ImagePath = Annotated[str | None, AfterValidator(_image)]
Link = Annotated[str, AfterValidator(_link)]
FontStack = Literal["system", "humanist", "serif", "mono"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Colours(_Model):
    primary: Colour = "#1f4e79"
    on_primary: Colour = "#ffffff"
    accent: Colour = "#b4461b"
    background: Colour = "#ffffff"
    surface: Colour = "#f4f4f2"
    text: Colour = "#1d1d1b"
    muted: Colour = "#595955"


class Logo(_Model):
    image: ImagePath = "images/logo.svg"
    alt: str = Field("", max_length=200, description="Alternative text; empty uses the store name.")
    width: int = Field(160, ge=16, le=600)


class Fonts(_Model):
    body: FontStack = "system"
    headings: FontStack = "system"


class Banner(_Model):
    heading: str = Field(min_length=1, max_length=120)
    text: str = Field("", max_length=400)
    image: ImagePath = None
    image_alt: str = Field("", max_length=200)
    link_url: Link = "/"
    link_label: str = Field("Shop now", min_length=1, max_length=60)

    @model_validator(mode="after")
    def _alt_for_image(self) -> "Banner":
        if self.image and not self.image_alt.strip():
            raise ValueError("image_alt is required when a banner has an image")
        return self


class MenuLink(_Model):
    label: str = Field(min_length=1, max_length=60)
    url: Link


def _default_banners() -> list[Banner]:
    return [
        Banner(heading="New season, new favourites", text="Fresh arrivals across the store, picked for you.",
               image="images/banner-1.svg", image_alt="Abstract shapes in the store colours",
               link_url="/search?sort=newest", link_label="See what is new"),
    ]


def _default_footer() -> list[MenuLink]:
    return [MenuLink(label="Your account", url="/account/"), MenuLink(label="Cart", url="/cart")]


class DefaultThemeSettings(_Model):
    colours: Colours = Field(default_factory=Colours)
    logo: Logo = Field(default_factory=Logo)
    fonts: Fonts = Field(default_factory=Fonts)
    banners: list[Banner] = Field(default_factory=_default_banners, max_length=6)
    #: Main navigation; empty: the top-level categories.
    main_menu: list[MenuLink] = Field(default_factory=list, max_length=12)
    footer_menu: list[MenuLink] = Field(default_factory=_default_footer, max_length=12)
    featured_count: int = Field(8, ge=0, le=24)
    show_category_tiles: bool = True
    footer_text: str = Field("Thank you for shopping with us.", max_length=300)
