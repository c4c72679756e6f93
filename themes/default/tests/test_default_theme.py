"""The default theme's own tests: manifest, settings, lint and every page."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.testing.themes import (
    check_page_html,
    check_theme,
    configure_theme,
    installed_themes,
    seed_sample_catalog,
)
from shopwright_theme_default import MANIFEST
from shopwright_theme_default.settings import DefaultThemeSettings

PAGES = ["/", "/c/clothing", "/c/shirts?material=cotton&sort=price_asc", "/p/oxford-shirt?size=L&colour=Red",
         "/search?q=shirt", "/search", "/cart", "/checkout", "/checkout?step=review", "/account/",
         "/account/login", "/account/signup", "/orders/SW-1", "/no-such-page"]


def test_manifest_is_installed_and_usable():
    themes = installed_themes()
    assert themes["default"].manifest == MANIFEST and themes["default"].error is None
    assert MANIFEST.parent is None and MANIFEST.templates.is_dir() and MANIFEST.static.is_dir()


def test_theme_check_passes():
    themes = installed_themes()
    assert check_theme(themes["default"], themes) == []


def test_settings_defaults_and_validation():
    settings = DefaultThemeSettings()
    assert settings.colours.primary.startswith("#") and settings.banners
    for bad in ({"colours": {"primary": "red"}}, {"colours": {"text": "#12345"}},
                {"main_menu": [{"label": "Home", "url": "javascript:alert(1)"}]},
                {"logo": {"image": "../../etc/passwd"}}, {"banners": [{"heading": "x", "image": "a.png"}]},
                {"fonts": {"body": "comic"}}, {"unknown": 1}):
        with pytest.raises(ValidationError):
            DefaultThemeSettings.model_validate(bad)


@pytest.fixture
async def store(make_app, tmp_path):
    app = await make_app()
    app.theme_state.overrides_dir = tmp_path / "none"
    await seed_sample_catalog(app.runtime)
    return app


async def test_every_page_renders_with_this_theme_and_passes_the_checks(store):
    client = store.test_client()
    for path in PAGES:
        response = await client.get(path)
        body = await response.get_data(as_text=True)
        assert response.status_code in (200, 404), path
        assert 'data-theme="default"' in body and "/static/theme/default/" in body, path
        assert check_page_html(body) == [], path


async def test_settings_reach_the_pages(store):
    await configure_theme("default", {
        "colours": {"primary": "#003366"}, "fonts": {"headings": "serif"},
        "main_menu": [{"label": "Mugs only", "url": "/c/mugs"}], "show_category_tiles": False,
        "featured_count": 0, "logo": {"image": None},
    })
    await store.theme_state.refresh()
    body = await (await store.test_client().get("/")).get_data(as_text=True)
    assert "--color-primary: #003366;" in body and '--font-headings: "Iowan Old Style"' in body
    assert '<a href="/c/mugs">Mugs only</a>' in body
    assert "Shop by category" not in body and "Featured products" not in body
    assert '<span class="site-header__name">' in body
