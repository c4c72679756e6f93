"""The core tax provider: rate lookup, inclusive/exclusive prices, rounding, settings."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout
from engine.money import Money
from engine.plugins import PluginError
from engine.pricing.tax import RateTableTax, find_rate, parse_rates
from engine.protocols import PriceableLine

RATES = parse_rates("DE=19, DE:reduced=7, FR=20, US-CA=7.25, US=0, *=10, DE:shipping=19")


def test_parse_rates_accepts_text_json_and_rejects_nonsense():
    assert RATES["DE:reduced"] == Decimal("7") and RATES["US-CA"] == Decimal("7.25")
    assert parse_rates('{"NL": "21"}') == {"NL": Decimal("21")}
    for bad in ("DE", "Germany=19", "DE=abc", "DE=120"):
        with pytest.raises(ValueError):
            parse_rates(bad)


@pytest.mark.parametrize(("country", "region", "tax_class", "expected"), [
    ("DE", None, "standard", "19"),
    ("DE", None, "reduced", "7"),
    ("DE", "BY", "reduced", "7"),
    ("US", "CA", "standard", "7.25"),
    ("US", "US-CA", "standard", "7.25"),
    ("US", "NY", "standard", "0"),
    ("JP", None, "standard", "10"),
    (None, None, "standard", "10"),
])
def test_rate_lookup_order(country, region, tax_class, expected):
    assert find_rate(RATES, country, region, tax_class) == Decimal(expected)


async def test_exclusive_and_inclusive_tax_round_once_per_rate():
    provider = RateTableTax(RATES)
    lines = [PriceableLine("A", 1, Money(999, "EUR")), PriceableLine("B", 1, Money(1001, "EUR"), tax_class="reduced")]
    exclusive = await provider.compute(lines, {"country": "DE"}, prices_include_tax=False)
    assert [(t.label, t.amount.amount) for t in exclusive] == [("Tax 19%", 190), ("Tax 7%", 70)]
    inclusive = await provider.compute(lines, {"country": "DE"}, prices_include_tax=True)
    # 999 × 19/119 = 159.50 -> 160 (half to even); 1001 × 7/107 = 65.49 -> 65
    assert [t.amount.amount for t in inclusive] == [160, 65]
    assert await RateTableTax({}).compute(lines, {"country": "DE"}, False) == []
    assert await RateTableTax({"DE": Decimal(19)}).compute(lines, None, False) == []
    assert [t.amount.amount for t in await RateTableTax({"DE": Decimal(19)}, default_country="DE").compute(
        lines, None, False)] == [380]


async def test_core_tax_applies_at_checkout(make_app):
    app = await make_app()
    with pytest.raises(PluginError, match="rates"):
        await app.runtime.host.configure("core_tax", {"rates": "Germany=19"})
    await app.runtime.host.configure("core_tax", {"rates": "DE=19, FR=20", "label": "VAT"})
    await add_product(app.runtime, "TEE-1", price=1000, stock=5)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 2)
    estimate = await (await client.get(f"/api/v1/carts/{cart}", query_string={"country": "FR"})).get_json()
    assert estimate["totals"]["tax"] == 400 and estimate["tax_lines"][0]["label"] == "VAT 20%"
    order = await (await checkout(client, cart)).get_json()
    # goods 2000 + shipping 490, both taxed at 19 %: 473.1 -> 473
    assert order["totals"]["tax"] == 473 and order["totals"]["total"] == 2000 + 490 + 473
    assert order["tax_lines"] == [{"label": "VAT 19%", "rate": "0.19", "amount": {"amount": 473, "currency": "EUR"}}]


async def test_prices_entered_with_tax(make_app):
    app = await make_app(checkout={"prices_include_tax": True})
    await app.runtime.host.configure("core_tax", {"rates": "DE=19"})
    await add_product(app.runtime, "TEE-1", price=1190, stock=5)
    client = app.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"), shipping_address=ADDRESS)).get_json()
    totals = order["totals"]
    assert totals["tax_included"] is True
    assert totals["total"] == 1190 + 490, "included tax is not added again"
    assert totals["tax"] == 190 + 78  # 1190 × 19/119 = 190; 490 × 19/119 = 78.2
