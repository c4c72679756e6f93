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


async def test_staff_without_the_permission_get_403_on_every_admin_page_and_form(make_app):
    """Signed in, CSRF token in hand, holding one permission: every admin
    HTML route that needs another answers 403 (pages and form posts alike)."""
    import re

    from engine.accounts.staff import SELF
    from engine.testing.admin import staff_client

    app = await make_app()
    from engine.admin.plugin_pages import blueprint as plugin_pages

    PLUGIN_PAGES = plugin_pages.name + "."
    held = "customers:write"  # a role needs one; the routes that need just it are skipped
    client = await staff_client(app, permissions=[held])
    account = await (await client.get("/admin/account")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', account).group(1)
    checked = []
    for rule in _admin_rules(app):
        permission = getattr(app.view_functions[rule.endpoint], "required_permission", None)
        if rule.rule in PUBLIC_ADMIN_ROUTES or rule.rule.startswith("/api/") or permission in (None, SELF, held):
            continue
        if rule.endpoint.startswith(PLUGIN_PAGES):
            continue  # a plugin's page checks its own permission (its tests: tests/admin/test_admin_plugins.py)
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = await client.get(path)
            else:
                response = await client.open(path, method=method, form={"csrf_token": token})
            # the theme preview takes an admin API token only, never a session
            expected = 401 if path.startswith("/admin/theme-preview/") else 403
            assert response.status_code == expected, (method, path, response.status_code)
            checked.append((method, path))
    assert ("GET", "/admin/products") in checked and ("POST", "/admin/products/1/stock") in checked
    assert len(checked) >= 30
