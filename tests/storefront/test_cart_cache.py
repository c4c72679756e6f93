"""The cart page is shown again without re-pricing only while nothing it
shows can have changed (engine.storefront.cart_cache): the cart, every change
counter (catalog, stock, promotions, theme, plugins), a promotion's start or
end, and pricing plugins that agreed to it."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from engine import PluginManifest, hookimpl
from engine.catalog import services as catalog
from engine.money import Money
from engine.pricing import manage
from engine.protocols import Adjustment, PricingReuse
from engine.testing.themes import QueryCounter, sample_products

SKUS = ["OXFORD-SHIRT-S-B", "OXFORD-SHIRT-M-B"]


async def _filled(app, skus=SKUS):
    client = app.test_client()
    page = await (await client.get("/p/oxford-shirt")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for sku in skus:
        added = await client.post("/cart", form={"sku": sku, "quantity": "1", "csrf_token": token})
        assert added.status_code in (302, 303)
    state, page = await _view(client)  # shows (and so clears) the "added" messages: never kept
    assert state is None and "Added" in page
    return client


async def _view(client) -> tuple[str | None, str]:
    response = await client.get("/cart")
    assert response.status_code == 200
    return response.headers.get("X-Cache"), await response.get_data(as_text=True)


def _without_nonce(body: str) -> str:
    return re.sub(r'nonce="[^"]+"', 'nonce=""', body)


def _oxford(price: int) -> dict:
    product = next(p for p in sample_products() if p["slug"] == "oxford-shirt")
    for variant in product["variants"]:
        variant["price"] = {"amount": price, "currency": "EUR"}
    return product


async def test_a_second_view_is_served_again_with_a_fresh_nonce_and_two_statements(shop):
    client = await _filled(shop)
    first_state, first = await _view(client)
    assert first_state == "miss"
    await shop.theme_state.refresh()  # no theme settings read in the counted view (exact count)
    shop.theme_state._read_at += 3600
    with QueryCounter(shop.runtime.database.engine) as queries:
        state, again = await _view(client)
    assert state == "hit"
    assert queries.count == 2, queries.statements  # the session and the cart (with its lines)
    assert _without_nonce(again) == _without_nonce(first)
    other = await client.get("/cart?from=menu")  # a theme may render request.args: its own entry
    assert other.headers.get("X-Cache") == "miss"
    nonces = re.findall(r'nonce="([^"]+)"', first + again)
    assert nonces and len(set(nonces)) == 2  # one per answer
    # the page's token is the session's own: a form on it works
    token = re.search(r'name="csrf_token" value="([^"]+)"', again).group(1)
    changed = await client.post("/cart/update", form={"sku": SKUS[0], "quantity": "3", "csrf_token": token})
    assert changed.status_code in (302, 303)
    state, after = await _view(client)
    assert state is None and "Cart updated" in after  # a flash message: not kept
    state, after = await _view(client)
    assert state == "miss" and 'value="3"' in after


async def test_every_change_shows_on_the_next_view(shop):
    """Changes reach the cache only through the change counters in the
    database (triggers), so plain SQL — what another process, a worker or an
    import would run — invalidates it as the services do."""
    client = await _filled(shop)
    await _view(client)
    assert (await _view(client))[0] == "hit"
    database = shop.runtime.database

    # a price change
    await catalog.save_product(shop.runtime, _oxford(5150))
    state, page = await _view(client)
    assert state != "hit" and "51.50" in page
    await _view(client)
    assert (await _view(client))[0] == "hit"

    # stock running short, written as an order in another process would
    async with database.transaction():
        await database.engine.run_ddl(
            "UPDATE catalog_stock SET reserved = on_hand WHERE variant = "
            f"(SELECT id FROM catalog_variants WHERE sku = '{SKUS[0]}')")
    state, page = await _view(client)
    assert state != "hit" and "out of stock" in page
    assert (await _view(client))[0] == "hit"

    # a promotion created
    await manage.create_promotion(shop.runtime, {"name": "Ten off", "kind": "percentage", "value": "10",
                                                 "currency": "EUR"})
    state, page = await _view(client)
    assert state != "hit" and "Ten off" in page
    assert (await _view(client))[0] == "hit"

    # its usage running out (what an order elsewhere does)
    async with database.transaction():
        await database.engine.run_ddl("UPDATE promotions SET usage_limit = 1, used_count = 1")
    state, page = await _view(client)
    assert state != "hit" and "Ten off" not in page
    assert (await _view(client))[0] == "hit"

    # a tax rate configured (plugin settings)
    assert "Tax 19" not in page
    await shop.runtime.host.configure("core_tax", {"rates": "DE=19", "default_country": "DE"})
    state, page = await _view(client)
    assert state != "hit" and "Tax 19" in page


async def test_a_promotion_that_starts_later_shows_once_it_has_started(shop):
    client = await _filled(shop)
    starts = datetime.now(timezone.utc) + timedelta(seconds=2)
    await manage.create_promotion(shop.runtime, {"name": "Flash sale", "kind": "percentage", "value": "20",
                                                 "currency": "EUR", "starts_at": starts.isoformat()})
    await _view(client)
    state, page = await _view(client)
    assert state == "hit" and "Flash sale" not in page
    await asyncio.sleep(max(0.0, (starts - datetime.now(timezone.utc)).total_seconds()) + 0.1)
    state, page = await _view(client)
    assert state != "hit" and "Flash sale" in page


class HappyHour:
    """A pricing plugin whose discount depends on the clock and that does not
    implement ``pricing_reuse``."""

    MANIFEST = PluginManifest(name="happy_hour", title="Happy hour")
    calls = 0

    @hookimpl
    def pricing_adjustments(self, lines, context):
        HappyHour.calls += 1
        return [Adjustment(label=f"Happy hour {HappyHour.calls}", amount=Money(-1, context["currency"]),
                           source="happy_hour")]


class Weekend:
    """A pricing plugin that agrees to reuse until a moment it names."""

    MANIFEST = PluginManifest(name="weekend", title="Weekend")
    until = None

    @hookimpl
    def pricing_adjustments(self, lines, context):
        started = Weekend.until is not None and datetime.now(timezone.utc) >= Weekend.until
        return [Adjustment(label="Weekend deal" if started else "Weekday price", amount=Money(-1, context["currency"]),
                           source="weekend")]

    @hookimpl
    def pricing_reuse(self, lines, context):
        assert lines and context["currency"] == "EUR"
        return PricingReuse(until=Weekend.until)


async def test_hook_pricing_reuse(make_app, database_url):
    from engine.testing.themes import seed_sample_catalog

    Weekend.until = None
    app = await make_app(plugins=[Weekend()], database_url=database_url, store={"currency": "EUR", "locale": "en"})
    await seed_sample_catalog(app.runtime)
    client = await _filled(app)
    Weekend.until = datetime.now(timezone.utc) + timedelta(seconds=2)
    app.cart_pages.clear()  # priced before the plugin named its moment
    await _view(client)
    state, page = await _view(client)
    assert state == "hit" and "Weekday price" in page
    await asyncio.sleep(max(0.0, (Weekend.until - datetime.now(timezone.utc)).total_seconds()) + 0.1)
    state, page = await _view(client)
    assert state != "hit" and "Weekend deal" in page

    # a plugin that does not answer is asked on every view
    await app.runtime.host.disable("weekend")
    other = await make_app(plugins=[HappyHour()], database_url=database_url,
                           store={"currency": "EUR", "locale": "en"})
    client = await _filled(other)
    states = [(await _view(client))[0] for _ in range(3)]
    assert "hit" not in states
    before = HappyHour.calls
    page = (await _view(client))[1]
    assert HappyHour.calls == before + 1 and f"Happy hour {HappyHour.calls}" in page


async def test_a_plugin_adding_template_context_turns_the_cache_off(make_app, database_url):
    from engine.testing.themes import seed_sample_catalog

    greeter = SimpleNamespace(MANIFEST=PluginManifest(name="greeter", title="Greeter"),
                              theme_template_context=hookimpl(lambda template_name: {"greeting": "hi"}))
    app = await make_app(plugins=[greeter], database_url=database_url, store={"currency": "EUR", "locale": "en"})
    await seed_sample_catalog(app.runtime)
    client = await _filled(app)
    assert "hit" not in [(await _view(client))[0] for _ in range(3)]


@pytest.mark.parametrize("cache", [{"enabled": False}, {"cart_pages": False}])
async def test_the_cart_page_cache_can_be_turned_off(make_app, database_url, cache):
    from engine.testing.themes import seed_sample_catalog

    app = await make_app(database_url=database_url, store={"currency": "EUR", "locale": "en"}, cache=cache)
    await seed_sample_catalog(app.runtime)
    client = await _filled(app)
    assert "hit" not in [(await _view(client))[0] for _ in range(3)]
