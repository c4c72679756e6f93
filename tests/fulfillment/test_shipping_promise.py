"""The storefront's shipping promise comes from the shipping configuration:
changing core_shipping's free-over threshold changes the text on the next
request, without a restart (SQLite and PostgreSQL)."""
from __future__ import annotations

from types import SimpleNamespace

from engine import PluginManifest, hookimpl
from engine.fulfillment.flat_rate import FlatRate
from engine.fulfillment.promise import free_shipping_from
from engine.money import Money


async def banner(client) -> str | None:
    """The text of the storefront's shipping promise on the home page, None without one."""
    body = await (await client.get("/")).get_data(as_text=True)
    start = body.find('aria-label="Shipping"><p>')
    return body[start:].split("<p>", 1)[1].split("</p>", 1)[0] if start >= 0 else None


async def test_the_promise_follows_the_configured_threshold(make_app, database_url):
    app = await make_app(database_url=database_url)
    host, client = app.runtime.host, app.test_client()
    assert await banner(client) is None, "core_shipping is never free by default: no promise"

    await host.configure("core_shipping", {"free_over": 5000})
    assert await banner(client) == "Free delivery on orders over €50.00"
    await host.configure("core_shipping", {"free_over": 8000})
    assert await banner(client) == "Free delivery on orders over €80.00"
    await host.configure("core_shipping", {"free_over": 0})
    assert await banner(client) == "Free delivery on every order"
    await host.configure("core_shipping", {"free_over": None})
    assert await banner(client) is None


async def test_the_lowest_threshold_of_the_providers_wins(make_app, sqlite_url):
    express = SimpleNamespace(MANIFEST=PluginManifest(name="express", title="Express"),
                              fulfillment_shipping_providers=hookimpl(lambda: [FlatRate(990, 3000, "Express")]))
    app = await make_app(database_url=sqlite_url, plugins=[express])
    await app.runtime.host.configure("core_shipping", {"free_over": 5000})
    assert await free_shipping_from(app.runtime, "EUR") == Money(3000, "EUR")
    await app.runtime.host.disable("express")
    assert await free_shipping_from(app.runtime, "EUR") == Money(5000, "EUR")
