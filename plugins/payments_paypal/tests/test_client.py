"""The REST client against the stand-in PayPal over real HTTP: the OAuth2
token cached, renewed before it expires and after PayPal rejects it, exact
amounts, refusals and outages told apart."""
from __future__ import annotations

import httpx
import pytest
from paypal_standin import CLIENT_ID, CLIENT_SECRET
from shopwright_payments_paypal.client import (
    REFRESH_MARGIN,
    PayPalClient,
    PayPalRefusal,
    PayPalUnavailable,
    TokenCache,
    to_money,
    to_value,
)

from engine.money import Money

ORDER = {"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "EUR", "value": "54.90"}}],
         "payment_source": {"paypal": {"experience_context": {"return_url": "http://shop.test/r",
                                                              "cancel_url": "http://shop.test/c"}}}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client(paypal, tokens: TokenCache, secret: str = CLIENT_SECRET) -> PayPalClient:
    return PayPalClient(paypal.url, CLIENT_ID, secret, timeout=10, tokens=tokens)


async def test_token_is_cached_and_renewed_before_it_expires(paypal):
    clock = Clock()
    tokens = TokenCache(clock)
    async with client(paypal, tokens) as api:
        first = await api.call("POST", "/v2/checkout/orders", ORDER, request_id="sw-pay-1-start")
        await api.call("GET", f"/v2/checkout/orders/{first['id']}")
        assert tokens.fetched == 1
        # Shortly before PayPal's expires_in runs out, the client renews on its own.
        clock.now += paypal.token_lifetime - REFRESH_MARGIN + 1
        paypal.advance(paypal.token_lifetime - REFRESH_MARGIN + 1)
        await api.call("GET", f"/v2/checkout/orders/{first['id']}")
        assert tokens.fetched == 2


async def test_token_expiring_between_two_calls_is_refreshed_transparently(paypal):
    tokens = TokenCache(Clock())  # the client's clock stands still: it believes the token is valid
    async with client(paypal, tokens) as api:
        created = await api.call("POST", "/v2/checkout/orders", ORDER, request_id="sw-pay-2-start")
        paypal.advance(paypal.token_lifetime + 1)  # ... but PayPal's token expired meanwhile
        again = await api.call("GET", f"/v2/checkout/orders/{created['id']}")
        assert again["id"] == created["id"]
        assert tokens.fetched == 2
        assert len(paypal.tokens) == 2


async def test_same_request_id_creates_once(paypal):
    async with client(paypal, TokenCache()) as api:
        one = await api.call("POST", "/v2/checkout/orders", ORDER, request_id="sw-pay-3-start")
        two = await api.call("POST", "/v2/checkout/orders", ORDER, request_id="sw-pay-3-start")
    assert one["id"] == two["id"] and len(paypal.orders) == 1


async def test_refusals_outages_and_bad_credentials(paypal):
    async with client(paypal, TokenCache()) as api:
        with pytest.raises(PayPalRefusal) as refused:
            await api.call("POST", "/v2/checkout/orders/NOPE/capture", {}, request_id="k1")
        assert (refused.value.status, refused.value.issue) == (404, "INVALID_RESOURCE_ID")
        paypal.fail("/v2/checkout/orders", 503)
        with pytest.raises(PayPalUnavailable):
            await api.call("POST", "/v2/checkout/orders", ORDER, request_id="k2")
    async with client(paypal, TokenCache(), secret="wrong") as api:
        with pytest.raises(PayPalUnavailable, match="client credentials"):
            await api.call("GET", "/v2/checkout/orders/X")


async def test_a_timeout_is_raised_not_taken_for_a_refusal(paypal):
    api = PayPalClient("http://127.0.0.1:9", CLIENT_ID, CLIENT_SECRET, timeout=1, tokens=TokenCache())
    async with api:
        with pytest.raises(httpx.TransportError):
            await api.call("GET", "/v2/checkout/orders/X")


@pytest.mark.parametrize("money, value", [
    (Money(5490, "EUR"), "54.90"), (Money(5, "USD"), "0.05"), (Money(1200, "JPY"), "1200"),
    (Money(1234, "KWD"), "1.234")])
def test_amounts_are_exact(money, value):
    assert to_value(money) == {"currency_code": money.currency, "value": value}
    assert to_money({"currency_code": money.currency, "value": value}) == money


def test_an_amount_finer_than_the_currency_is_not_money():
    assert to_money({"currency_code": "EUR", "value": "1.005"}) is None
    assert to_money({"currency_code": "EUR", "value": "abc"}) is None
