"""Storefront assets plugins add (``storefront_assets``): on the pages they
name only, with the page's CSP nonce, their sources in that page's policy only,
in both bundled themes, and correct in cached pages."""
from __future__ import annotations

import re

import pytest
import sdk_fixture.plugin as fixture

from engine import PluginManifest, hookimpl, sdk
from engine.testing.checkout import add_product
from engine.testing.themes import activate_theme

PAY = "https://pay.example.test/v3/"


def _scripts(body: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)" nonce="([^"]+)"', body)


def _csp(response) -> dict[str, list[str]]:
    policy = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


async def _page(client, path: str):
    response = await client.get(path)
    return response, await response.get_data(as_text=True)


@pytest.mark.parametrize("theme", ["default", "boutique"])
async def test_hook_storefront_assets(make_app, database_url, theme):
    app = await make_app(plugins=[fixture], database_url=database_url)
    await add_product(app.runtime, "FIX-1", slug="fixture-one")
    await activate_theme(theme)
    await app.theme_state.refresh()
    client = app.test_client()

    response, body = await _page(client, "/p/fixture-one")
    assert response.status_code == 200 and f'data-theme="{theme}"' in body
    scripts = _scripts(body)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert [src for src, _ in scripts][:2] == [PAY, scripts[1][0]] and scripts[1][0].startswith(
        "/static/plugin/sdk_fixture/") and scripts[1][0].endswith("/js/widget.js")
    assert all(script_nonce == nonce for _, script_nonce in scripts), "each carries the response's nonce"
    assert re.search(r'<link rel="stylesheet" href="/static/plugin/sdk_fixture/[0-9a-f]+/css/widget.css" '
                     rf'nonce="{nonce}"', body)
    assert "missing.js" not in body, "an asset whose file does not exist is left out"
    assert body.index("widget.css") < body.index("</head>"), "placed in the head by the theme's slot"
    policy = _csp(response)
    assert "https://pay.example.test" in policy["script-src"] and "https://pay.example.test" in policy["frame-src"]
    assert "https://api.pay.example.test" in policy["connect-src"]
    static = await client.get(scripts[1][0])
    assert static.status_code == 200 and b"sdkFixture" in await static.get_data()

    # the order page (an unknown order renders it too) gets the provider's script only
    response, body = await _page(client, "/orders/NOPE")
    assert [src for src, _ in _scripts(body)] == [PAY] and "widget.css" not in body
    assert "https://pay.example.test" in _csp(response)["frame-src"]

    # pages the assets do not name get neither the elements nor the sources
    for path in ("/", "/cart", "/search?q=fixture"):
        response, body = await _page(client, path)
        assert response.status_code == 200, path
        assert "pay.example.test" not in body and "sdk_fixture" not in body, path
        assert "pay.example.test" not in response.headers["Content-Security-Policy"], path


async def test_cached_pages_follow_the_plugin_settings_and_state(make_app, database_url):
    app = await make_app(plugins=[fixture], database_url=database_url)
    await add_product(app.runtime, "FIX-1", slug="fixture-one")
    client = app.test_client()
    first, body = await _page(client, "/p/fixture-one")
    again, cached = await _page(client, "/p/fixture-one")
    assert again.headers["X-Cache"] == "hit" and PAY in cached
    assert "https://pay.example.test" in _csp(again)["frame-src"], "the cached policy keeps the page's sources"
    nonces = {re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1) for r in (first, again)}
    assert len(nonces) == 2 and all(f'nonce="{n}"' in b for n, b in zip(
        [re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1) for r in (first, again)],
        (body, cached))), "a fresh nonce per response, in the body too"

    await app.runtime.host.configure("sdk_fixture", {"js_url": "https://js.other.test/pay.js"})
    moved, body = await _page(client, "/p/fixture-one")
    assert moved.headers["X-Cache"] == "miss" and "https://js.other.test/pay.js" in body and PAY not in body
    assert "https://js.other.test" in _csp(moved)["script-src"]
    assert "https://pay.example.test" not in moved.headers["Content-Security-Policy"]

    await app.runtime.host.disable("sdk_fixture")
    gone, body = await _page(client, "/p/fixture-one")
    assert "js.other.test" not in body and "js.other.test" not in gone.headers["Content-Security-Policy"]


class Careless:
    """Assets that must be refused, and one plugin whose hook raises."""

    MANIFEST = PluginManifest(name="careless_assets", title="Careless")

    @hookimpl
    def storefront_assets(self, page):
        return [
            sdk.script("javascript:alert(1)"),
            sdk.script('https://x.test/a.js" onload="alert(1)'),
            sdk.script(),
            sdk.script("https://ok.test/a.js", static="a.js"),
            sdk.script("https://ok.test/b.js", csp={"script-src": ["'unsafe-inline'", "https://fine.test"]}),
            sdk.style("https://ok.test/c.css", csp={"default-src": ["*"]}),
        ]


class Raising:
    MANIFEST = PluginManifest(name="raising_assets", title="Raising")

    @hookimpl
    def storefront_assets(self, page):
        raise RuntimeError("broken")


async def test_malformed_assets_and_failing_plugins_are_left_out(make_app):
    app = await make_app(plugins=[Careless(), Raising(), fixture])
    await add_product(app.runtime, "FIX-1", slug="fixture-one")
    response, body = await _page(app.test_client(), "/p/fixture-one")
    assert response.status_code == 200
    assert [src for src, _ in _scripts(body)][:1] == ["https://ok.test/b.js"]
    assert "javascript:" not in body and "onload" not in body and "c.css" not in body
    policy = _csp(response)
    assert "'unsafe-inline'" not in policy["script-src"] and "https://fine.test" in policy["script-src"]
    assert PAY in body, "the other plugins' assets stay"


def test_asset_helpers():
    asset = sdk.script("https://js.example.test/v3/", pages="checkout", csp={"frame-src": ["https://js.example.test"]})
    assert asset.kind == "script" and asset.pages == ("checkout",) and asset.defer
    assert sdk.style(static="a.css", pages=["product", "cart"]).pages == ("product", "cart")
    assert sdk.origin_of("http://127.0.0.1:8420/js.stripe.com/v3/") == "http://127.0.0.1:8420"
    for bad in ("/relative", "javascript:alert(1)", "https://user@host.test/"):
        with pytest.raises(ValueError):
            sdk.origin_of(bad)
