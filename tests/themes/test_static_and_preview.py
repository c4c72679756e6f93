"""Versioned static files and staff previews."""
from __future__ import annotations

import re

import pytest

from engine.themes import preview, registry
from engine.system import site_settings
from engine.themes.assets import AssetResolver, content_hash


def _stylesheets(body: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', body)


async def test_asset_urls_carry_a_content_hash_and_are_cached_for_a_year(theme_app):
    client = theme_app.test_client()
    body = await (await client.get("/")).get_data(as_text=True)
    [css] = _stylesheets(body)
    assert re.fullmatch(r"/static/theme/default/[0-9a-f]{12}/css/site\.css", css)
    response = await client.get(css)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content_type.startswith("text/css")
    assert b"--color-primary" in await response.get_data()


async def test_a_changed_file_gets_a_new_url(tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "a.css").write_text("a { color: red }")
    resolver = AssetResolver([("mine", static)])
    first = resolver.url("css/a.css")
    (static / "css" / "a.css").write_text("a { color: blue }")
    second = resolver.url("css/a.css")
    assert first != second and first.rsplit("/", 3)[0] == second.rsplit("/", 3)[0]
    assert second.split("/")[4] == content_hash(static / "css" / "a.css")


async def test_child_theme_assets_fall_back_to_the_parent(theme_app):
    theme = registry.discover_themes()
    chain = registry.theme_chain("boutique", theme)
    resolver = AssetResolver([(t.name, t.manifest.static) for t in chain])
    assert resolver.url("css/boutique.css").startswith("/static/theme/boutique/")
    assert resolver.url("css/site.css").startswith("/static/theme/default/")
    assert resolver.url("images/logo.svg").startswith("/static/theme/boutique/")  # overridden


async def test_outdated_hash_still_serves_but_is_not_cached_forever(theme_app):
    response = await theme_app.test_client().get("/static/theme/default/000000000000/css/site.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", [
    "/static/theme/default/x/../../../pyproject.toml",
    "/static/theme/default/x/%2e%2e/__init__.py",
    "/static/theme/default/x/css/nope.css",
    "/static/theme/nope/x/css/site.css",
    "/static/plugin/core_events/x/a.css",
])
async def test_static_route_refuses_what_is_not_a_theme_file(theme_app, path):
    response = await theme_app.test_client().get(path)
    assert response.status_code == 404


async def _theme(client, path="/", **kwargs) -> tuple[str, object]:
    response = await client.get(path, **kwargs)
    body = await response.get_data(as_text=True)
    return re.search(r'data-theme="([a-z_]+)"', body).group(1), response


async def test_shopper_cannot_see_a_preview(theme_app):
    client = theme_app.test_client()
    name, response = await _theme(client, "/?preview_theme=boutique")
    assert name == "default"
    forged = preview.mint("some-other-secret-key-000", preview.PreviewGrant("boutique"))
    client.set_cookie("localhost", preview.COOKIE, forged)
    name, _ = await _theme(client, "/?preview_theme=boutique")
    assert name == "default"
    client.set_cookie("localhost", preview.COOKIE, "boutique")
    assert (await _theme(client))[0] == "default"


async def test_preview_needs_a_staff_token_with_plugins_write(theme_app, staff_token):
    client = theme_app.test_client()
    response = await client.get("/admin/theme-preview/boutique")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    reader = await staff_token("catalog:read")
    response = await client.get("/admin/theme-preview/boutique", headers={"Authorization": f"Bearer {reader}"})
    assert response.status_code == 403
    response = await client.get("/admin/theme-preview/boutique", headers={"Authorization": "Bearer swt_forged"})
    assert response.status_code == 401
    assert preview.COOKIE not in (response.headers.get("Set-Cookie") or "")


async def test_staff_preview_shows_the_theme_only_to_staff(theme_app, staff_token):
    token = await staff_token("plugins:write")
    staff = theme_app.test_client()
    response = await staff.get("/admin/theme-preview/boutique", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/?preview_theme=boutique"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    name, page = await _theme(staff, "/?preview_theme=boutique")
    assert name == "boutique"
    body = await page.get_data(as_text=True)
    assert "Previewing the theme" in body and "site-header--centred" in body
    assert page.headers["Cache-Control"] == "private, no-store"
    # the grant follows the staff member around the store
    assert (await _theme(staff, "/c/shirts"))[0] == "boutique"
    # another theme named in the URL is not granted
    assert (await _theme(staff, "/?preview_theme=default"))[0] == "default"
    # meanwhile a shopper sees the active theme, with cacheable headers
    shopper = theme_app.test_client()
    name, page = await _theme(shopper, "/?preview_theme=boutique")
    assert name == "default" and "Previewing" not in await page.get_data(as_text=True)
    assert "no-store" not in page.headers.get("Cache-Control", "")
    assert "Cookie" in page.headers["Vary"]
    # the active theme did not change
    assert theme_app.theme_state.active == "default"
    # leaving the preview
    await staff.get("/admin/theme-preview/_exit")
    assert (await _theme(staff, "/"))[0] == "default"


async def test_preview_of_unsaved_settings(theme_app, staff_token):
    token = await staff_token("all")
    staff = theme_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    bad = await staff.post("/admin/theme-preview/default", json={"colours": {"primary": "javascript:1"}},
                           headers=headers)
    assert bad.status_code == 422
    assert "colours.primary" in (await bad.get_json())["errors"]
    response = await staff.post("/admin/theme-preview/default", json={"colours": {"primary": "#123456"},
                                                                      "footer_text": "Preview footer"},
                                headers=headers)
    assert response.status_code == 303
    body = await (await staff.get("/")).get_data(as_text=True)
    assert "--color-primary: #123456;" in body and "Preview footer" in body
    shopper_body = await (await theme_app.test_client().get("/")).get_data(as_text=True)
    assert "#123456" not in shopper_body and "Preview footer" not in shopper_body
    assert await site_settings.read_prefix(registry.SETTINGS_KEY_PREFIX) == {}  # nothing saved
    form = await staff.post("/admin/theme-preview/default", form={"colours.accent": "#654321"}, headers=headers)
    assert form.status_code == 303
    assert "--color-accent: #654321;" in await (await staff.get("/")).get_data(as_text=True)


async def test_preview_of_an_unknown_theme_is_404(theme_app, staff_token):
    token = await staff_token()
    response = await theme_app.test_client().get("/admin/theme-preview/nope",
                                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_preview_grants_expire_and_are_bound_to_the_secret(monkeypatch):
    value = preview.mint("secret-key-0123456789", preview.PreviewGrant("boutique", {"a": 1}, "swt_ab"))
    assert preview.read("secret-key-0123456789", value) == preview.PreviewGrant("boutique", {"a": 1}, "swt_ab")
    assert preview.read("another-secret-key-xyz", value) is None
    monkeypatch.setattr(preview, "MAX_AGE", -1)
    assert preview.read("secret-key-0123456789", value) is None
    with pytest.raises(ValueError, match="too large"):
        preview.mint("secret-key-0123456789", preview.PreviewGrant("x", {"t": __import__("os").urandom(4000).hex()}))
