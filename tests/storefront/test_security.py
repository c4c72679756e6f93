"""Escaping, the Content-Security-Policy and plugin contributions to pages."""
from __future__ import annotations

import re
from pathlib import Path

from engine import PluginManifest, hookimpl
from engine.testing.themes import seed_sample_catalog

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def test_catalog_text_is_escaped_everywhere(sqlite_shop):
    from engine.catalog import services as catalog

    await catalog.save_category(sqlite_shop.runtime, {"slug": "evil", "name": EVIL, "description": EVIL})
    await catalog.save_product(sqlite_shop.runtime, {
        "slug": "evil-product", "title": EVIL, "description": EVIL, "status": "published",
        "seo_description": EVIL, "categories": ["evil"],
        "images": [{"url": '/media/placeholder/x.svg" onload="alert(1)', "alt": EVIL}],
        "variants": [{"sku": "EVIL-1", "options": {"size": EVIL}, "price": {"amount": 100, "currency": "EUR"},
                      "stock": 1}],
    })
    client = sqlite_shop.test_client()
    for path in ("/p/evil-product", "/c/evil", "/", f"/search?q={EVIL}", "/search?q=script"):
        body = await (await client.get(path)).get_data(as_text=True)
        assert "<script>" not in body and "onerror=alert" not in body.replace("onerror=alert(1)&gt;", "").replace("onerror=alert(1)\\u003e", ""), path
        assert 'onload="alert(1)' not in body, path
    body = await (await client.get("/p/evil-product")).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body


async def test_csp_without_unsafe_inline_and_a_fresh_nonce_per_response(sqlite_shop):
    client = sqlite_shop.test_client()
    first = await client.get("/")
    second = await client.get("/")
    policy = first.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<style nonce="{nonce}">' in await first.get_data(as_text=True)
    assert nonce not in second.headers["Content-Security-Policy"]
    # themed 404 pages carry it too; the JSON API does not need it
    assert "Content-Security-Policy" in (await client.get("/nope")).headers


class PaymentWidgetPlugin:
    """A plugin that adds CSP sources, template variables and a template."""

    def __init__(self, templates: Path) -> None:
        self.MANIFEST = PluginManifest(name="widget_test", title="Widget test", templates=templates)

    @hookimpl
    def theme_csp_sources(self):
        return {"script-src": ["https://js.pay.example"], "frame-src": ["https://pay.example"],
                "style-src": ["'unsafe-inline'"], "img-src": ["bad source;"]}

    @hookimpl
    def theme_template_context(self, template_name, request):
        return {"widget_greeting": f"Hello from {template_name} ({request.path})", "theme": "hijacked",
                "csp_nonce": "hijacked"}


async def _widget_app(make_app, tmp_path):
    templates = tmp_path / "plugin_templates"
    templates.mkdir()
    (templates / "greeting.html").write_text("<p class=\"widget\">{{ widget_greeting }}</p>")
    app = await make_app(plugins=[PaymentWidgetPlugin(templates)])
    app.theme_state.overrides_dir = tmp_path / "overrides"
    (tmp_path / "overrides").mkdir()
    (tmp_path / "overrides" / "cart.html").write_text(
        '{% extends "parent:cart.html" %}{% block content %}{{ super() }}'
        '{% include "widget_test/greeting.html" ignore missing %}{% endblock %}')
    await seed_sample_catalog(app.runtime)
    await app.theme_state.refresh()
    return app


async def test_hook_theme_csp_sources(make_app, tmp_path):
    app = await _widget_app(make_app, tmp_path)
    client = app.test_client()
    policy = (await client.get("/cart")).headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "https://js.pay.example" in policy
    assert "frame-src https://pay.example" in policy
    assert "unsafe-inline" not in policy and "bad source" not in policy
    await app.runtime.host.disable("widget_test")
    assert "js.pay.example" not in (await client.get("/cart")).headers["Content-Security-Policy"]


async def test_hook_theme_template_context(make_app, tmp_path):
    """Plugin variables and namespaced plugin templates reach the page; plugins
    cannot replace the storefront's own variables; a disabled plugin's are gone."""
    app = await _widget_app(make_app, tmp_path)
    client = app.test_client()
    response = await client.get("/cart")
    body = await response.get_data(as_text=True)
    assert '<p class="widget">Hello from cart.html (/cart)</p>' in body
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in body and "--color-primary: #1f4e79;" in body  # not hijacked
    await app.runtime.host.disable("widget_test")
    response = await client.get("/cart")
    assert response.status_code == 200
    assert "Hello from" not in await response.get_data(as_text=True)
