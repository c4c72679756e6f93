"""The block slot (``storefront_blocks``) as the core runs it: each plugin's
block rendered with its own template and context, escaped; a plugin that
raises, a block whose template is missing and an answer that is not a
``StorefrontBlock`` left out while the page renders. (The recommendations
plugin's ``test_hook_storefront_blocks`` shows a real plugin in both themes.)"""
from __future__ import annotations

from types import SimpleNamespace

from engine import PluginManifest, hookimpl, sdk
from engine.testing.checkout import add_product


def _plugin(name: str, folder, hook):
    return SimpleNamespace(MANIFEST=PluginManifest(name=name, title=name, templates=folder),
                           storefront_blocks=hookimpl(hook))


async def test_blocks_render_escaped_and_failures_are_left_out(make_app, tmp_path):
    folder = tmp_path / "templates"
    (folder / "hello").mkdir(parents=True)
    (folder / "hello" / "block.html").write_text(
        '<aside class="hello">{{ page.page }} {{ page.product_slug }} {{ greeting }}</aside>')
    seen = []

    def hello(page):
        seen.append(page)
        return [sdk.StorefrontBlock("hello/block.html", {"greeting": "<b>hi</b>"}),
                sdk.StorefrontBlock("hello/missing.html"), "not a block"]

    def broken(page):
        raise RuntimeError("boom")

    app = await make_app(plugins=[_plugin("hello", folder, hello), _plugin("broken", None, broken)])
    await add_product(app.runtime, "TEE-1", slug="tee")
    client = app.test_client()
    response = await client.get("/p/tee")
    body = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<aside class="hello">product tee &lt;b&gt;hi&lt;/b&gt;</aside>' in body
    assert body.count('class="hello"') == 1 and 'class="plugin-blocks"' in body
    assert seen[-1] == sdk.StorefrontPage("product", product_id=seen[-1].product_id, product_slug="tee")

    home = await (await client.get("/")).get_data(as_text=True)
    assert 'class="hello"' not in home, "only the product and cart pages have the slot"
