"""Error pages: the active theme's on storefront HTML paths, problem+json on the API."""
from __future__ import annotations

from types import SimpleNamespace

from quart import Blueprint

from engine import PluginManifest, hookimpl

broken = Blueprint("broken_pages", __name__)


@broken.get("/boom")
async def boom():
    raise RuntimeError("a bug in a view")


@broken.get("/api/v1/boom")
async def api_boom():
    raise RuntimeError("a bug in an API view")


def failing_auth(request, credentials):
    raise ConnectionError("identity provider down")


BROKEN = SimpleNamespace(MANIFEST=PluginManifest(name="broken_pages", title="Broken pages", priority=1),
                         lifecycle_blueprints=hookimpl(lambda: [broken]),
                         auth_resolve_actor=hookimpl(failing_auth))


async def test_an_unexpected_error_renders_the_themes_page_and_problem_json_on_the_api(make_app):
    app = await make_app(plugins=[BROKEN])
    client = app.test_client()
    page = await client.get("/boom")
    assert page.status_code == 500
    html = await page.get_data(as_text=True)
    assert "data-theme=" in html and "Something went wrong" in html
    assert "a bug in a view" not in html, "nothing about the error itself"
    assert "nonce-" in page.headers["Content-Security-Policy"]

    api = await client.get("/api/v1/boom")
    assert api.status_code == 500 and api.content_type == "application/problem+json"
    assert (await api.get_json())["status"] == 500


async def test_a_failing_fail_closed_plugin_is_problem_json_naming_it_on_the_api(make_app):
    app = await make_app(plugins=[BROKEN])
    client = app.test_client()
    api = await client.get("/api/v1/admin/plugins", headers={"Authorization": "Bearer swt_anything"})
    assert api.status_code == 502 and api.content_type == "application/problem+json"
    problem = await api.get_json()
    assert problem["plugin"] == "broken_pages" and "identity provider down" in problem["detail"]
    # (a failing plugin on a storefront page: the theme's page naming it, see
    # tests/checkout/test_plugin_failures.py)
