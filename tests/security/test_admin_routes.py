"""Every admin route declares its permission and is denied by default.

The first test builds the app exactly as production does (every installed
plugin found through its entry point) and fails for any route under
``/admin`` or ``/api/v1/admin`` whose view carries no ``required_permission``
and is not in the documented list of public admin routes."""
from __future__ import annotations

import os

from quart import Blueprint

from engine import PluginManifest, hookimpl
from engine.web.guard import PUBLIC_ADMIN_ROUTES, is_admin_path
from engine.app import create_app
from engine.plugins import discover_installed
from engine.settings import load_settings


def _admin_rules(app):
    return [rule for rule in app.url_map.iter_rules() if is_admin_path(rule.rule)]


def test_every_admin_route_of_the_full_app_declares_a_permission(tmp_path):
    settings = load_settings(config_path=os.devnull, environ={},
                             database_url=f"sqlite:///{tmp_path / 'shop.sqlite'}", secret_key="x" * 32)
    app = create_app(settings, plugins=None)
    rules = _admin_rules(app)
    assert len(rules) >= 30, "the admin pages and the admin API are all there"
    undeclared = []
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        permission = getattr(view, "required_permission", None)
        if rule.rule in PUBLIC_ADMIN_ROUTES:
            assert permission is None or permission, rule.rule
            continue
        if not (isinstance(permission, str) and permission):
            undeclared.append(f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {rule.rule} ({rule.endpoint})")
    assert undeclared == [], "admin routes without a permission:\n" + "\n".join(undeclared)
    for public in PUBLIC_ADMIN_ROUTES:
        assert any(rule.rule == public for rule in rules), f"{public} is listed as public but does not exist"


async def test_every_admin_route_refuses_anonymous_callers(make_app):
    installed = [plugin.obj for plugin in discover_installed() if not plugin.error]
    app = await make_app(plugins=installed, enable=[])
    client = app.test_client()
    checked = 0
    for rule in _admin_rules(app):
        if rule.rule in PUBLIC_ADMIN_ROUTES:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<path:{argument}>", "x") \
                .replace(f"<{argument}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = await client.open(path, method=method)
            assert response.status_code in (303, 401, 403, 404), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["Location"].startswith("/admin/login"), (method, path)
            checked += 1
    assert checked >= 40


class UndeclaredAdminPlugin:
    """A plugin that adds an admin page and forgets its permission."""

    MANIFEST = PluginManifest(name="careless_admin", title="Careless admin")

    @hookimpl
    def lifecycle_blueprints(self):
        blueprint = Blueprint("careless_admin", __name__)

        @blueprint.get("/admin/careless")
        async def careless():
            return "secret admin data"

        @blueprint.get("/api/v1/admin/careless")
        async def careless_api():
            return {"secret": True}

        return [blueprint]


async def test_an_undeclared_admin_route_is_denied_even_to_an_owner(make_app):
    from engine.accounts.staff import create_token

    app = await make_app(plugins=[UndeclaredAdminPlugin()])
    token, _ = await create_token("root", ["all"])
    client = app.test_client()
    page = await client.get("/admin/careless", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 403 and "secret" not in await page.get_data(as_text=True)
    api = await client.get("/api/v1/admin/careless", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 403 and api.content_type == "application/problem+json"


async def test_a_signed_in_member_without_the_permission_gets_403_on_every_admin_page_and_form(make_app):
    """Signed in, with a valid CSRF token, but holding only what every staff
    member holds: every admin HTML route (page and form post) that needs
    more answers 403 — new pages are picked up from the URL map."""
    from engine.accounts.staff import SELF
    from engine.testing.admin import form_token, staff_client

    installed = [plugin.obj for plugin in discover_installed() if not plugin.error]
    app = await make_app(plugins=installed, enable=[])
    client = await staff_client(app, permissions=[SELF])
    token = await form_token(client, "/admin/account")
    checked = []
    for rule in _admin_rules(app):
        permission = getattr(app.view_functions[rule.endpoint], "required_permission", None)
        if rule.rule in PUBLIC_ADMIN_ROUTES or permission in (None, SELF) or not rule.rule.startswith("/admin"):
            continue
        if rule.endpoint.startswith("admin_plugin_pages."):
            continue  # each plugin page declares its own permission: tests/sdk/test_admin_pages.py
        refusals = (401, 403) if rule.endpoint == "themes.preview_start" else (403,)  # 401: asks for a token
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<path:{argument}>", "x") \
                .replace(f"<{argument}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            form = {"csrf_token": token} if method != "GET" else None
            response = await client.open(path, method=method, form=form)
            assert response.status_code in refusals, (method, path, response.status_code)
            checked.append(f"{method} {rule.rule}")
    for mine in ("GET /admin/customers", "POST /admin/customers/<int:customer_id>/delete", "GET /admin/promotions",
                 "POST /admin/promotions", "GET /admin/settings", "POST /admin/settings/taxes", "GET /admin/reports",
                 "GET /admin/reports/<name>.csv", "GET /admin/products", "POST /admin/products/bulk",
                 "GET /admin/categories", "GET /admin/warehouses"):
        assert mine in checked
