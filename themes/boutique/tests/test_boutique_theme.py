"""Boutique's own tests: what it overrides, and what it inherits from default."""
from __future__ import annotations

import re

import pytest

from engine.testing.themes import (
    activate_theme,
    check_page_html,
    check_theme,
    configure_theme,
    installed_themes,
    seed_sample_catalog,
    theme_chain,
)
from shopwright_theme_boutique import MANIFEST
from shopwright_theme_boutique.settings import BoutiqueSettings
from shopwright_theme_default.settings import DefaultThemeSettings


def test_manifest_names_default_as_parent():
    themes = installed_themes()
    assert themes["boutique"].manifest == MANIFEST and themes["boutique"].error is None
    assert [t.name for t in theme_chain("boutique", themes)] == ["boutique", "default"]


def test_theme_check_passes():
    themes = installed_themes()
    assert check_theme(themes["boutique"], themes) == []


def test_settings_extend_the_parent_schema_with_other_defaults():
    assert issubclass(BoutiqueSettings, DefaultThemeSettings)
    settings = BoutiqueSettings()
    assert settings.colours.primary == "#4a2545" != DefaultThemeSettings().colours.primary
    assert settings.fonts.headings == "serif"
    assert settings.announcement == "", "no shipping terms hard-coded in the theme"


async def _boutique(make_app, tmp_path, **overrides):
    app = await make_app(**overrides)
    app.theme_state.overrides_dir = tmp_path / "none"
    await seed_sample_catalog(app.runtime)
    await app.runtime.host.configure("core_shipping", {"free_over": 5000})
    await activate_theme("boutique")
    await configure_theme("boutique", {"announcement": "Autumn sale: 20% off knitwear"})
    await app.theme_state.refresh()
    return app


@pytest.fixture
async def store(make_app, tmp_path):
    return await _boutique(make_app, tmp_path)


async def _get(store, path):
    response = await store.test_client().get(path)
    return response.status_code, await response.get_data(as_text=True)


async def test_layout_extends_the_parent_layout(store):
    status, body = await _get(store, "/")
    assert status == 200 and 'data-theme="boutique"' in body
    # parent:base.html kept default's stylesheet and shipping promise, boutique added its own and the announcement
    assert re.search(r'href="/static/theme/default/[0-9a-f]{12}/css/site.css"', body)
    assert re.search(r'href="/static/theme/boutique/[0-9a-f]{12}/css/boutique.css"', body)
    assert 'aria-label="Shipping"><p>Free delivery on orders over €50.00</p>' in body
    assert 'aria-label="Announcement"><p>Autumn sale' in body
    assert "--color-primary: #4a2545;" in body
    # overridden templates
    assert "site-header--centred" in body and "Curated for you" in body
    assert re.search(r'src="/static/theme/boutique/[0-9a-f]{12}/images/logo.svg"', body)


async def test_product_page_extends_the_parent_product_page(store):
    status, body = await _get(store, "/p/oxford-shirt?size=L&colour=Blue")
    assert status == 200
    assert 'class="product__from">From €49.00' in body        # boutique's block
    assert "Returns are free within 30 days." in body           # boutique's addition after super(), from
    #                                                             the store's default return window
    assert 'class="variant-picker"' in body and "OXFORD-SHIRT-L-B" in body  # default's blocks
    assert "<h2 id=\"details-heading\">Details</h2>" in body     # default's details kept by super()


@pytest.mark.parametrize("window, promise", [
    (14, "Returns are free within 14 days."),
    (1, "Returns are free within 1 day."),
    (0, None),   # returns off: the care note promises none
])
async def test_the_returns_promise_follows_the_return_window(make_app, tmp_path, window, promise):
    app = await _boutique(make_app, tmp_path, fulfillment={"return_window_days": window})
    status, body = await _get(app, "/p/oxford-shirt")
    assert status == 200 and "Every piece is checked by hand before it leaves us." in body
    if promise is None:
        assert "Returns are" not in body
    else:
        assert promise in body and "30 days" not in body


async def test_inherited_pages_still_render(store):
    for path in ("/c/shirts", "/search?q=shirt", "/cart", "/checkout", "/account/login", "/orders/1"):
        status, body = await _get(store, path)
        assert status in (200, 404) and 'data-theme="boutique"' in body, path
        assert check_page_html(body) == [], path
    status, body = await _get(store, "/nope")
    assert status == 404 and "This page has moved on" in body


async def test_merchant_settings_override_boutique_defaults(store):
    await configure_theme("boutique", {"announcement": "", "colours": {"accent": "#0a0a0a"}})
    await store.theme_state.refresh()
    _, body = await _get(store, "/")
    assert "Announcement" not in body and "--color-accent: #0a0a0a;" in body
    assert "--color-primary: #4a2545;" in body
