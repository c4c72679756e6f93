"""Admin pages plugins add (``admin_pages``), served at
/admin/plugins/<plugin>/<path>: staff sign-in, the page's permission, CSRF on
POST, the admin layout and menu, 404 while the plugin is disabled."""
from __future__ import annotations

import re

import sdk_fixture.plugin as fixture
from engine import PluginManifest, hookimpl, sdk
from engine.testing import fetch
from engine.testing.admin import form_token, staff_client
from engine.testing.checkout import add_product

STATUS = "/admin/plugins/sdk_fixture/status"


async def test_hook_admin_pages(make_app, database_url):
    app = await make_app(plugins=[fixture], database_url=database_url)
    await add_product(app.runtime, "FIX-1", stock=3, slug="fixture-one")
    owner = await staff_client(app, email="owner@example.test")
    reader = await staff_client(app, permissions=["sdkfix:read"])
    support = await staff_client(app, role="support")

    page = await owner.get(STATUS)
    body = await page.get_data(as_text=True)
    assert page.status_code == 200, body
    assert "<h1>SDK fixture</h1>" in body and "fixture-one" in body and "Hello owner@example.test" in body
    assert "Cache-Control" in page.headers and "no-store" in page.headers["Cache-Control"]
    assert "Content-Security-Policy" in page.headers
    assert '<a href="/admin/plugins/sdk_fixture/status">SDK fixture</a>' in body, "the menu entry"
    assert "Fixture notes" not in body and "Refused" not in body, "menu=False pages and refused pages have none"

    # the permission: support has none of the fixture's; the reader may look but not post
    assert (await support.get(STATUS)).status_code == 403
    assert "SDK fixture</a>" not in await (await support.get("/admin")).get_data(as_text=True)
    assert (await reader.get(STATUS)).status_code == 200
    token = await form_token(reader, STATUS)
    refused = await reader.post(STATUS, form={"sku": "FIX-1", "quantity": "9", "csrf_token": token})
    assert refused.status_code == 403 and "sdkfix:write" in await refused.get_data(as_text=True)

    # CSRF: a POST without the form's token is refused before the view runs
    forged = await owner.post(STATUS, form={"sku": "FIX-1", "quantity": "9"})
    assert forged.status_code == 403
    rows = await fetch("SELECT on_hand FROM catalog_stock s JOIN catalog_variants v ON v.id = s.variant "
                       "WHERE v.sku = {}", "FIX-1")
    assert [row["on_hand"] for row in rows] == [3], "nothing changed"

    token = await form_token(owner, STATUS)
    posted = await owner.post(STATUS, form={"sku": "FIX-1", "quantity": "9", "csrf_token": token})
    assert posted.status_code == 303 and posted.headers["Location"] == STATUS + "?changed=1"
    assert "1 changed" in await (await owner.get(posted.headers["Location"])).get_data(as_text=True)
    rows = await fetch("SELECT on_hand FROM catalog_stock s JOIN catalog_variants v ON v.id = s.variant "
                       "WHERE v.sku = {}", "FIX-1")
    assert [row["on_hand"] for row in rows] == [9]

    # a page from a template string, with autoescape; a nested path
    notes = await owner.get("/admin/plugins/sdk_fixture/notes/today?text=<script>x</script>")
    text = await notes.get_data(as_text=True)
    assert notes.status_code == 200 and "&lt;script&gt;x&lt;/script&gt;" in text and "<script>x" not in text

    # a view that raises: 500 naming the plugin, the admin still works
    broken = await owner.get("/admin/plugins/sdk_fixture/broken")
    assert broken.status_code == 500 and "sdk_fixture" in await broken.get_data(as_text=True)
    # unknown and refused paths
    assert (await owner.get("/admin/plugins/sdk_fixture/Bad Path")).status_code == 404
    assert (await owner.get("/admin/plugins/sdk_fixture/nothing")).status_code == 404
    assert (await owner.get("/admin/plugins/nobody/status")).status_code == 404

    # signed out: sent to the sign-in page, whatever the page
    anonymous = app.test_client()
    response = await anonymous.get(STATUS)
    assert response.status_code == 303 and response.headers["Location"].startswith("/admin/login")

    # disabled: 404 (and no menu entry); enabled again: back, without a restart
    await app.runtime.host.disable("sdk_fixture")
    assert (await owner.get(STATUS)).status_code == 404
    assert "SDK fixture</a>" not in await (await owner.get("/admin")).get_data(as_text=True)
    await app.runtime.host.enable("sdk_fixture")
    assert (await owner.get(STATUS)).status_code == 200


async def test_the_view_gets_the_staff_member_settings_and_a_csrf_token(make_app):
    seen = []

    async def view(request):
        seen.append(request)
        return sdk.render_admin(source="<form method=post>{{ csrf_field() }}</form>")

    class Probe:
        MANIFEST = PluginManifest(name="probe_pages", title="Probe")

        @hookimpl
        def admin_pages(self):
            return [sdk.AdminPage("look", "Look", "catalog:read", view)]

    app = await make_app(plugins=[Probe()])
    client = await staff_client(app, email="owner@example.test")
    body = await (await client.get("/admin/plugins/probe_pages/look?x=1")).get_data(as_text=True)
    request = seen[0]
    assert request.method == "GET" and request.args == {"x": "1"} and request.form == {}
    assert request.actor["email"] == "owner@example.test" and request.has_permission("anything")
    assert request.runtime is app.runtime and request.plugin == "probe_pages" and request.path == "look"
    assert re.search(rf'name="csrf_token" value="{re.escape(request.csrf_token)}"', body)


async def test_a_page_downloads_reads_uploads_audits_and_styles(make_app):
    from werkzeug.datastructures import FileStorage
    import io

    async def view(request):
        if request.args.get("download"):
            return sdk.download_admin(b"a,b\n1,2\n", "numbers.csv", "text/csv; charset=utf-8")
        if request.method == "POST":
            filename, data = request.files.get("file", ("", b""))
            await sdk.audit_admin(request, "uploaded", f"file:{filename}", {"bytes": len(data)})
            return sdk.render_admin(source="<p>got {{ size }} bytes</p>", size=len(data))
        return sdk.render_admin(source='<style nonce="{{ csp_nonce() }}">p{color:red}</style><p>styled</p>')

    class Files:
        MANIFEST = PluginManifest(name="probe_files", title="Files")

        @hookimpl
        def admin_pages(self):
            return [sdk.AdminPage("files", "Files", "catalog:read", view)]

    app = await make_app(plugins=[Files()])
    client = await staff_client(app, email="owner@example.test")
    page = await client.get("/admin/plugins/probe_files/files")
    nonce = re.search(r'<style nonce="([^"]+)">p\{color:red\}', await page.get_data(as_text=True)).group(1)
    assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"], "the page's style is allowed"

    download = await client.get("/admin/plugins/probe_files/files?download=1")
    assert download.status_code == 200 and await download.get_data() == b"a,b\n1,2\n"
    assert download.headers["Content-Disposition"] == 'attachment; filename="numbers.csv"'
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8" and "no-store" in download.headers[
        "Cache-Control"]

    token = await form_token(client, "/admin/plugins/probe_files/files")
    posted = await client.post("/admin/plugins/probe_files/files", form={"csrf_token": token}, files={
        "file": FileStorage(io.BytesIO(b"hello"), filename="hello.txt", content_type="text/plain")})
    assert "got 5 bytes" in await posted.get_data(as_text=True)
    entries = await fetch("SELECT actor, action, target, details FROM audit_log WHERE action LIKE 'probe_files.%'")
    assert entries == [{"actor": "owner@example.test", "action": "probe_files.uploaded", "target": "file:hello.txt",
                        "details": '{"bytes": 5}'}], "one entry: the page's own"


def test_a_download_is_checked_when_it_is_made():
    import pytest

    for bad in ({"data": "text", "filename": "a.csv"}, {"data": b"x", "filename": "../a.csv"},
                {"data": b"x", "filename": "a.csv", "content_type": "text/csv\r\nX-Bad: 1"}):
        with pytest.raises(ValueError):
            sdk.download_admin(**bad)
