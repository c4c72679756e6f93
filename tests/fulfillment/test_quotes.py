"""Shipping quotes kept with the checkout: placing the order with a valid quote
asks no carrier; a provider's own shorter deadline drops it sooner."""
from __future__ import annotations

import pytest

from carrier_standin import CarrierStandIn, carrier_plugin
from engine.testing import fetchone
from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout


@pytest.fixture
def carrier():
    standin = CarrierStandIn()
    yield standin
    standin.close()


async def _quoted_cart(client) -> tuple[str, dict]:
    cart = await cart_with(client, "TEE-1", 2)
    response = await client.get(f"/api/v1/carts/{cart}/shipping-methods?country=DE&postal_code=10117")
    assert response.status_code == 200
    return cart, {item["id"]: item for item in (await response.get_json())["items"]}


async def test_placing_with_a_valid_quote_asks_no_carrier(database_url, make_app, carrier):
    app = await make_app(database_url=database_url, plugins=[carrier_plugin(carrier.url)])
    await add_product(app.runtime, "TEE-1", price=2500, stock=9)
    client = app.test_client()

    cart, offered = await _quoted_cart(client)
    assert offered["carrier:parcel"]["price"] == {"amount": 590, "currency": "EUR"}
    assert offered["carrier:parcel"]["expires_at"]
    assert carrier.calls == 1
    placed = await checkout(client, cart, shipping_method="carrier:parcel")
    assert placed.status_code == 201, await placed.get_json()
    order = await placed.get_json()
    assert carrier.calls == 1, "the kept quote was used; the carrier was not asked again"
    assert order["shipping_method"]["id"] == "carrier:parcel" and order["totals"]["shipping"] == 590
    event = await fetchone("SELECT data FROM order_events WHERE kind = 'placed'")
    assert '"rate_id": "rate-1"' in event["data"], "the carrier's rate id stays with the order"

    # An expired quote, or one for another address, is asked for again.
    carrier.expires_in = 0
    cart, _ = await _quoted_cart(client)
    assert carrier.calls == 2
    placed = await checkout(client, cart, shipping_method="carrier:parcel")
    assert placed.status_code == 201 and carrier.calls == 3
    carrier.expires_in = 600
    cart, _ = await _quoted_cart(client)
    elsewhere = dict(ADDRESS, postal_code="80331", city="München")
    placed = await checkout(client, cart, shipping_method="carrier:parcel", shipping_address=elsewhere)
    assert placed.status_code == 201 and carrier.calls == 5


async def test_a_provider_past_its_own_deadline_is_dropped(make_app, carrier):
    carrier.stall.set()
    app = await make_app(plugins=[carrier_plugin(carrier.url, deadline_seconds=0.2)])
    await add_product(app.runtime, "TEE-1", price=2500, stock=9)
    client = app.test_client()
    cart, offered = await _quoted_cart(client)
    assert list(offered) == ["flat_rate:standard"]
    listing = await (await client.get(f"/api/v1/carts/{cart}/shipping-methods?country=DE")).get_json()
    assert "missed its 0.2s deadline" in listing["unavailable"]["carrier"], "its own deadline, not the global 2 s"
    placed = await checkout(client, cart)
    assert placed.status_code == 201, "checkout goes on with the other providers"
