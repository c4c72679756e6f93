"""The carrier-API provider against a stand-in carrier on 127.0.0.1: live
quotes beside the table rates at checkout, a kept quote placing the order
without a second call, its deadline, and every kind of bad answer dropping
it with a reason while the table rates still show."""
from __future__ import annotations

import time

import pytest

from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout, quote_request
from rate_api_standin import API_KEY, rate
from shopwright_shipping_rates import plugin
from shopwright_shipping_rates.carrier import CarrierError, CarrierPool, CarrierRates
from shopwright_shipping_rates.rate_csv import HEADER, read_rates
from shopwright_shipping_rates.settings import ShippingRatesSettings
from shopwright_shipping_rates.store import replace_rates

TABLE = f"{','.join(HEADER)}\nGermany,DE,,standard,Standard,flat,,,4.90,EUR\n"
CARRIER = "shipping_rates_carrier"


async def _shop(make_app, database_url, carrier, **settings):
    app = await make_app(plugins=[plugin], database_url=database_url)
    await app.runtime.host.configure("shipping_rates", {"api_base": carrier.url, "api_key": API_KEY, **settings})
    await replace_rates(app.runtime, read_rates(TABLE, "EUR"))
    await add_product(app.runtime, "TEE-1", price=2500, stock=20, weight_grams=400)
    return app


async def _listing(client, cart: str) -> dict:
    response = await client.get(f"/api/v1/carts/{cart}/shipping-methods",
                                query_string={"country": "DE", "postal_code": "10117"})
    assert response.status_code == 200, await response.get_json()
    return await response.get_json()


async def test_carrier_quote_is_offered_and_a_kept_one_places_the_order(make_app, database_url, carrier):
    carrier.rates = [rate("parcel", "5.90"), rate("express", "12.50", estimated_days=[1, 1])]
    app = await _shop(make_app, database_url, carrier)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 3)   # 1200 g, 75.00 EUR

    listing = await _listing(client, cart)
    offered = {item["id"]: item for item in listing["items"]}
    assert offered[f"{CARRIER}:express"]["price"] == {"amount": 1250, "currency": "EUR"}
    assert offered[f"{CARRIER}:express"]["estimated_days"] == [1, 1]
    assert offered[f"{CARRIER}:parcel"]["price"]["amount"] == 590
    assert offered["shipping_rates:standard"]["price"]["amount"] == 490, "the table rates show beside it"
    assert carrier.authorization == f"Bearer {API_KEY}"
    assert carrier.body == {"origin": {"country": "DE"},
                            "destination": {"country": "DE", "region": None, "postal_code": "10117"},
                            "parcel": {"weight_grams": 1200}, "declared_value": {"amount": 7500, "currency": "EUR"}}
    assert carrier.calls == 1

    placed = await checkout(client, cart, shipping_method=f"{CARRIER}:express",
                            shipping_address={**ADDRESS, "postal_code": "10117"})
    assert placed.status_code == 201, await placed.get_json()
    order = await placed.get_json()
    assert order["shipping_method"]["id"] == f"{CARRIER}:express" and order["totals"]["shipping"] == 1250
    assert carrier.calls == 1, "the kept quote placed the order; the carrier was not asked again"


async def test_a_stalled_carrier_is_dropped_at_its_deadline(make_app, sqlite_url, carrier):
    carrier.stall.set()
    app = await _shop(make_app, sqlite_url, carrier, timeout_seconds=0.3)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 1)
    started = time.monotonic()
    listing = await _listing(client, cart)
    assert time.monotonic() - started < 1.5, "the checkout waits no longer than the carrier's deadline"
    assert [item["id"] for item in listing["items"] if item["provider"] != "flat_rate"] == ["shipping_rates:standard"]
    assert "0.3" in listing["unavailable"][CARRIER]


async def test_a_bad_answer_drops_the_carrier_with_its_reason(make_app, sqlite_url, carrier):
    carrier.status = 503
    app = await _shop(make_app, sqlite_url, carrier)
    client = app.test_client()
    listing = await _listing(client, await cart_with(client, "TEE-1", 1))
    assert [item["id"] for item in listing["items"] if item["provider"] != "flat_rate"] == ["shipping_rates:standard"]
    assert "the carrier answered HTTP 503" in listing["unavailable"][CARRIER]


@pytest.mark.parametrize("status, raw, rates, reason", [
    (500, None, [rate()], "answered HTTP 500"),
    (200, b"<html>busy</html>", None, "answer is not valid"),
    (200, b" " * (300 * 1024), None, "larger than 262144 bytes"),
    (200, b'{"rates": [{"id": "x"}]}', None, "answer is not valid: rates.0.service"),
    (200, None, [rate(amount=5.9)], "rates.0.amount"),               # a float, not a decimal string
    (200, None, [rate(currency="USD")], "is in USD, the cart in EUR"),
    (200, None, [rate(amount="-1.00")], "must be from 0"),
    (200, None, [rate(amount="1e9")], "must be from 0"),
    (200, None, [rate(amount="2500.00")], "above the limit of 1000.00 EUR"),
    (200, None, [rate(amount="5.905")], "more than 2 decimals"),
    (200, None, [rate(expires_at="2026-12-06T21:00:00")], "rates.0.expires_at"),   # no timezone
    (200, None, [rate(estimated_days=[5, 2])], "is not [min, max]"),
])
async def test_bad_answers_raise_a_clear_reason(carrier, providers, status, raw, rates, reason):
    carrier.status, carrier.raw, carrier.rates = status, raw, rates
    provider = providers(ShippingRatesSettings(api_base=carrier.url, api_key=API_KEY))
    with pytest.raises(CarrierError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        await provider.quotes(quote_request())


async def test_unreachable_or_wrong_key_or_no_country(carrier, providers):
    settings = ShippingRatesSettings(api_base=carrier.url, api_key="wrong")
    with pytest.raises(CarrierError, match="answered HTTP 401"):
        await providers(settings).quotes(quote_request())
    assert await providers(settings).quotes(quote_request(country=None, postal_code=None, address=None)) == []
    assert carrier.calls == 1, "no country: no call"
    closed = ShippingRatesSettings(api_base="http://127.0.0.1:9", api_key=API_KEY)
    with pytest.raises(CarrierError, match="could not be reached"):
        await providers(closed).quotes(quote_request())


@pytest.fixture
async def providers():
    """``providers(settings)``: a :class:`CarrierRates`, closed after the test."""
    made: list[CarrierRates] = []

    def make(settings: ShippingRatesSettings) -> CarrierRates:
        made.append(CarrierRates(settings))
        return made[-1]

    yield make
    for provider in made:
        await provider.aclose()


async def test_one_http_client_per_provider_for_its_lifetime(carrier):
    pool = CarrierPool()
    settings = ShippingRatesSettings(api_base=carrier.url, api_key=API_KEY)
    provider = pool.provider_for(settings)
    assert pool.provider_for(ShippingRatesSettings(api_base=carrier.url, api_key=API_KEY)) is provider
    await provider.quotes(quote_request())
    await provider.quotes(quote_request())
    assert carrier.peers[0] == carrier.peers[1], "the second quote reused the kept-alive connection"

    changed = pool.provider_for(ShippingRatesSettings(api_base=carrier.url, api_key=API_KEY, timeout_seconds=2))
    assert changed is not provider, "new settings: a new provider"
    await changed.quotes(quote_request())
    assert carrier.peers[2] != carrier.peers[0], "with its own client"
    await provider.quotes(quote_request())   # a quote still running on the replaced provider finishes
    assert len(carrier.peers) == 4

    await pool.aclose()   # the plugin's lifecycle_shutdown: every client of this loop, retired ones too
    assert provider._client is None and changed._client is None
    assert pool.provider_for(settings) is not provider, "after shutdown a fresh provider"
    await pool.aclose()


async def test_the_plugins_shutdown_closes_the_carrier_clients(make_app, sqlite_url, carrier):
    from shopwright_shipping_rates.plugin import CARRIERS

    app = await _shop(make_app, sqlite_url, carrier)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 1)
    listed = await (await client.get(f"/api/v1/carts/{cart}/shipping-methods", query_string={"country": "DE"})
                    ).get_json()
    assert any(item["provider"] == CARRIER for item in listed["items"])
    [provider] = [kept for _, kept in CARRIERS._providers.values()]
    assert provider._client is not None and not provider._client.is_closed
    await app.runtime.host.hook("lifecycle_shutdown", runtime=app.runtime)
    assert provider._client is None and CARRIERS._providers == {}
