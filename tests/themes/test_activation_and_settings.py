"""Active theme and theme settings: stored in site_settings, validated, seen by
every process within 2 seconds."""
from __future__ import annotations

import asyncio
import re

import pytest

from engine.themes import registry
from engine.system import site_settings
from engine.testing.themes import seed_sample_catalog


async def _theme_of(client, path: str = "/") -> str:
    body = await (await client.get(path)).get_data(as_text=True)
    return re.search(r'data-theme="([a-z_]+)"', body).group(1)


async def _wait_for(predicate, timeout: float = 2.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await predicate():
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)


def test_installed_themes_are_discovered_with_their_chain():
    themes = registry.discover_themes()
    assert {"default", "boutique"} <= set(themes)
    assert not themes["default"].error and not themes["boutique"].error
    assert [t.name for t in registry.theme_chain("boutique", themes)] == ["boutique", "default"]


def test_bad_manifests_are_reported_not_raised():
    from engine import ThemeManifest

    assert "reserved" in registry.inspect_theme(ThemeManifest(name="core", title="x")).error
    assert "lower_snake_case" in registry.inspect_theme(ThemeManifest(name="My Theme", title="x")).error
    assert "its own parent" in registry.inspect_theme(ThemeManifest(name="a", title="x", parent="a")).error
    assert "requires engine" in registry.inspect_theme(ThemeManifest(name="a", title="x", engine=">=99")).error
    a = registry.inspect_theme(ThemeManifest(name="a", title="A", parent="b"))
    b = registry.inspect_theme(ThemeManifest(name="b", title="B", parent="a"))
    with pytest.raises(registry.ThemeError, match="cycle"):
        registry.theme_chain("a", {"a": a, "b": b})
    with pytest.raises(registry.ThemeError, match="parent theme 'b' is not installed"):
        registry.theme_chain("a", {"a": a})


async def test_activation_reaches_a_running_app_within_two_seconds(make_app, database_url):
    app = await make_app(database_url=database_url)
    await seed_sample_catalog(app.runtime)
    client = app.test_client()
    assert await _theme_of(client) == "default"
    # what `shopwright themes activate boutique` does, from "another process":
    await registry.set_active_theme("boutique")
    assert await _wait_for(lambda: _theme_of_eq(client, "boutique"))
    body = await (await client.get("/")).get_data(as_text=True)
    assert "site-header--centred" in body and "/static/theme/boutique/" in body
    with pytest.raises(registry.ThemeError, match="no theme named"):
        await registry.set_active_theme("nope")


async def _theme_of_eq(client, name):
    return await _theme_of(client) == name


async def test_settings_are_validated_stored_and_rendered(make_app, database_url):
    app = await make_app(database_url=database_url)
    await seed_sample_catalog(app.runtime)
    client = app.test_client()
    with pytest.raises(registry.ThemeSettingsError) as bad:
        await registry.update_theme_settings("default", {"colours": {"primary": "red; } body { x"}})
    assert "colours.primary" in bad.value.errors
    with pytest.raises(registry.ThemeSettingsError, match="no setting 'nope'"):
        await registry.update_theme_settings("default", {"nope": 1})
    with pytest.raises(registry.ThemeSettingsError, match="image_alt is required"):
        await registry.update_theme_settings("default", {"banners": [{"heading": "Sale", "image": "images/x.png"}]})
    assert await site_settings.read_prefix(registry.SETTINGS_KEY_PREFIX) == {}  # nothing half-written

    saved = await registry.update_theme_settings("default", {
        "colours": {"primary": "#AA0000"},
        "banners": [{"heading": "Winter <sale>", "text": "Up to 30% off", "link_url": "/c/clothing"}],
        "footer_text": "Family-run since 1999.",
    })
    assert saved.colours.primary == "#aa0000" and saved.colours.accent == "#b4461b"  # merged, not replaced
    again = await registry.theme_settings("default")
    assert again == saved

    async def shows_new_settings():
        body = await (await client.get("/")).get_data(as_text=True)
        return "--color-primary: #aa0000;" in body
    assert await _wait_for(shows_new_settings)
    body = await (await client.get("/")).get_data(as_text=True)
    assert "Winter &lt;sale&gt;" in body and "Family-run since 1999." in body
    assert 'href="/c/clothing"' in body


async def test_child_theme_settings_have_their_own_defaults(theme_app):
    settings = await registry.theme_settings("boutique")
    assert settings.colours.primary == "#4a2545"
    assert settings.fonts.headings == "serif" and settings.announcement == ""   # no shipping terms in a theme
    default = await registry.theme_settings("default")
    assert default.colours.primary == "#1f4e79"


async def test_outdated_stored_values_fall_back_field_by_field(theme_app):
    theme = registry.discover_themes()["default"]
    loaded = registry.load_theme_settings(theme, {"colours": {"primary": "not a colour"}, "footer_text": "Kept",
                                                  "removed_setting": 1})
    assert loaded.footer_text == "Kept" and loaded.colours.primary == "#1f4e79"


async def test_unusable_active_theme_falls_back_to_the_configured_theme(theme_app):
    await site_settings.write(registry.ACTIVE_THEME_KEY, "uninstalled_theme")
    await theme_app.theme_state.refresh()
    assert theme_app.theme_state.active == "default"
    assert await _theme_of(theme_app.test_client()) == "default"


async def test_merchant_override_beats_the_theme_and_can_extend_it(theme_app):
    client = theme_app.test_client()
    overrides = theme_app.theme_state.overrides_dir
    overrides.mkdir(parents=True)
    (overrides / "404.html").write_text(
        '{% extends "parent:404.html" %}{% block title %}Lost? – {{ store.name }}{% endblock %}')
    await theme_app.theme_state.refresh()
    response = await client.get("/no-such-page")
    body = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<title>Lost? – " in body and "Sorry, we could not find that page." in body  # theme's body kept


async def test_an_edited_override_is_checked_for_once_per_refresh(theme_app):
    """Template files are checked for edits when the theme state refreshes
    (at most every ``plugins.refresh_interval_seconds``), not on every
    render: between two refreshes a page uses the template it has."""
    import os

    client = theme_app.test_client()
    overrides = theme_app.theme_state.overrides_dir
    overrides.mkdir(parents=True)
    page = overrides / "404.html"
    page.write_text("<title>First</title>")
    await theme_app.theme_state.refresh()
    theme_app.theme_state._read_at += 3600  # no refresh until asked for
    assert "First" in await (await client.get("/no-such-page")).get_data(as_text=True)
    page.write_text("<title>Second</title>")
    later = page.stat().st_mtime + 10
    os.utime(page, (later, later))  # a new modification time whatever the file system's resolution
    assert "First" in await (await client.get("/no-such-page")).get_data(as_text=True)
    await theme_app.theme_state.refresh()
    assert "Second" in await (await client.get("/no-such-page")).get_data(as_text=True)


async def test_without_a_usable_theme_the_core_templates_serve_every_page(make_app, tmp_path):
    from engine.testing.themes import check_page_html

    app = await make_app(theme="not_installed")
    app.theme_state.overrides_dir = tmp_path / "none"
    await seed_sample_catalog(app.runtime)
    await app.theme_state.refresh()
    assert app.theme_state.active == "core"
    client = app.test_client()
    for path in ("/", "/c/clothing?material=cotton", "/p/oxford-shirt?size=L", "/search?q=shirt", "/cart",
                 "/checkout", "/account/", "/account/login", "/account/signup", "/orders/1", "/nope"):
        response = await client.get(path)
        body = await response.get_data(as_text=True)
        assert response.status_code in (200, 404), path
        assert 'data-theme="core"' in body and "/static/theme/" not in body, path
        assert check_page_html(body) == [], (path, check_page_html(body))


async def test_theme_changes_are_audited_in_the_transaction_that_stores_them(make_runtime, database_url):
    from engine.audit import entries
    from engine.db.sql import fetch

    await make_runtime(database_url=database_url)
    actor = {"kind": "token", "id": 3, "name": "deploy", "ip": "198.51.100.4", "user_agent": "ua/2"}
    await registry.set_active_theme("boutique", actor=actor)
    await registry.update_theme_settings("default", {"colours": {"primary": "#0b6e4f"}, "footer_text": "Hi"},
                                         actor=actor)
    with pytest.raises(registry.ThemeSettingsError):
        await registry.update_theme_settings("default", {"colours": {"accent": "red; } body { x"}}, actor=actor)
    with pytest.raises(registry.ThemeError):
        await registry.set_active_theme("nope", actor=actor)
    rows = list(reversed(await entries()))
    assert [(row["action"], row["target"], row["details"]) for row in rows] == [
        ("theme.activate", "name=boutique", {}),
        ("theme.configure", "name=default", {"keys": ["colours.primary", "footer_text"]}),
    ]
    assert {(row["actor"], row["actor_kind"], row["actor_id"], row["ip"], row["user_agent"]) for row in rows} == {
        ("token:deploy", "token", 3, "198.51.100.4", "ua/2")}
    assert "#0b6e4f" not in str(rows), "keys only, never values"

    # A change whose entry cannot be written is not stored either.
    await fetch("DROP TABLE audit_log")
    with pytest.raises(Exception, match="audit_log"):
        await registry.set_active_theme("default", actor=actor)
    with pytest.raises(Exception, match="audit_log"):
        await registry.update_theme_settings("default", {"footer_text": "Bye"}, actor=actor)
    assert await registry.active_theme_name("default") == "boutique"
    assert (await registry.theme_settings("default")).footer_text == "Hi"
