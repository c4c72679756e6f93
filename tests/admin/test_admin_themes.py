"""/admin/themes and the customizer: the list with parent chains, a preview
of unsaved settings seen only by the staff member, field errors, Publish,
Activate, the theme check; ``shopwright themes configure``."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from engine.testing import fetch
from engine.testing.admin import form_token, staff_client

from admin_forms import settings_form

PAGE = "/admin/themes/boutique"


async def _form(client) -> dict[str, str]:
    return settings_form(await (await client.get(PAGE)).get_data(as_text=True), PAGE)


async def test_preview_publish_and_activate(make_app, database_url):
    app = await make_app(database_url=database_url)
    owner = await staff_client(app)
    shopper = app.test_client()

    listing = await (await owner.get("/admin/themes")).get_data(as_text=True)
    assert 'data-theme="boutique"' in listing and "<strong>active</strong>" in listing
    assert '<td data-label="Extends">default</td>' in listing, "boutique extends default"

    page = await owner.get(PAGE)
    html = await page.get_data(as_text=True)
    assert page.status_code == 200 and 'iframe class="preview" src="/?preview_theme=boutique"' in html
    assert "No problems found by <code>shopwright themes check boutique</code>" in html
    form = await _form(owner)
    assert form["colours.primary"] == "#4a2545" and "banners" in form

    bad = await owner.post(PAGE, form={**form, "colours.primary": "red", "action": "preview"})
    body = await bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'data-field="colours.primary">' in body and "must be a colour like" in body

    shown = await owner.post(PAGE, form={**form, "colours.primary": "#123456", "action": "preview"})
    assert shown.status_code == 200
    framed = await owner.get("/?preview_theme=boutique")
    text = await framed.get_data(as_text=True)
    assert 'data-theme="boutique"' in text and "#123456" in text
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in framed.headers[
        "Content-Security-Policy"]
    store = await (await shopper.get("/")).get_data(as_text=True)
    assert 'data-theme="default"' in store and "#123456" not in store, "a preview is the staff member's only"
    assert await fetch("SELECT id FROM audit_log WHERE action = {}", "theme.configure") == [], "preview writes nothing"

    published = await owner.post(PAGE, form={**form, "colours.primary": "#123456", "action": "publish"})
    assert published.status_code == 303
    activated = await owner.post(PAGE, form={"csrf_token": form["csrf_token"], "action": "activate"})
    assert activated.status_code == 303 and activated.headers["Location"] == "/admin/themes?done=activate"
    await app.theme_state.refresh()
    store = await (await app.test_client().get("/")).get_data(as_text=True)
    assert 'data-theme="boutique"' in store and "--color-primary: #123456" in store
    actions = [row["action"] for row in await fetch("SELECT action FROM audit_log WHERE target = {} ORDER BY id",
                                                     "name=boutique")]
    assert actions == ["theme.configure", "theme.activate"]


async def test_theme_pages_need_plugins_write(make_app):
    app = await make_app()
    owner = await staff_client(app)
    form = await _form(owner)
    for role in ("support", "manager"):
        client = await staff_client(app, role=role)
        assert (await client.get("/admin/themes")).status_code == 403
        assert (await client.get(PAGE)).status_code == 403
        token = await form_token(client, "/admin/account")
        refused = await client.post(PAGE, form={**form, "csrf_token": token, "action": "activate"})
        assert refused.status_code == 403 and "plugins:write" in await refused.get_data(as_text=True)
    assert (await owner.get("/admin/themes/nope")).status_code == 404
    assert await fetch("SELECT id FROM audit_log WHERE action = {}", "theme.activate") == []


def test_themes_configure_command(tmp_path):
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "SHOPWRIGHT_SECRET_KEY": "cli-test-secret-key-0123456789", "SHOPWRIGHT_CONFIG": os.devnull}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True, text=True,
                              check=False, timeout=120)

    assert cli("migrate").returncode == 0
    done = cli("themes", "configure", "boutique", "colours.primary=#123456", "featured_count=4",
               'banners=[{"heading": "Hello"}]')
    assert done.returncode == 0, done.stderr
    assert "boutique.colours.primary = #123456" in done.stdout and "boutique.featured_count = 4" in done.stdout
    bad = cli("themes", "configure", "boutique", "colours.primary=red")
    assert bad.returncode == 1 and "colours.primary" in bad.stderr
    assert cli("themes", "configure", "boutique", "nonsense").returncode == 1
    listing = json.loads(cli("themes", "list", "--json").stdout)
    assert any(t["name"] == "boutique" for t in listing)


def _png() -> bytes:
    """A real 1×1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xc0\xff\xee"))
            + chunk(b"IEND", b""))


async def test_logo_upload(make_app, database_url):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    app = await make_app(database_url=database_url)
    owner = await staff_client(app)
    form = await _form(owner)
    assert 'type="file" id="f-logo-image-upload" name="logo.image__upload"' in await (
        await owner.get(PAGE)).get_data(as_text=True)

    def upload(data: bytes, filename: str) -> dict:
        return {"logo.image__upload": FileStorage(BytesIO(data), filename=filename, content_type="image/png")}

    refused = await owner.post(PAGE, form={**form, "action": "preview"}, files=upload(b"<svg onload=x>", "logo.png"))
    body = await refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-field="logo.image">' in body and "must be a PNG, JPEG" in body

    published = await owner.post(PAGE, form={**form, "action": "publish"}, files=upload(_png(), "logo.png"))
    assert published.status_code == 303, await published.get_data(as_text=True)
    await app.theme_state.refresh()
    path = app.theme_state.settings_for("boutique").logo.image
    assert path.startswith("/media/theme/") and path.endswith(".png")
    image = await app.test_client().get(path)
    assert image.status_code == 200 and await image.get_data() == _png() and image.content_type == "image/png"
    assert "immutable" in image.headers["Cache-Control"]
    assert (await app.test_client().get("/media/theme/" + "0" * 64 + ".png")).status_code == 404
    again = await owner.post(PAGE, form={**form, "action": "publish"}, files=upload(_png(), "same.png"))
    assert again.status_code == 303
    assert len(await fetch("SELECT id FROM audit_log WHERE action = {}", "theme.media")) == 1, "stored once"
