"""The pricing pipeline: totals add up, nothing goes negative, plugin order does
not matter; failing or slow base-price and tax plugins fail the pricing, a failing
adjustments plugin is left out (never a wrong total)."""
from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from engine import PluginManifest, hookimpl
from engine.money import Money
from engine.plugins import HookError, PluginHost
from engine.pricing.pipeline import SHIPPING, price_lines, split_pro_rata
from engine.protocols import Adjustment, PriceableLine, TaxLine
from engine.settings import load_settings

SETTINGS = load_settings(config_path="/dev/null", environ={}, plugins={"hook_deadline_seconds": 0.3})


def core_plugin(name: str, priority: int = 100, **hooks):
    """A plugin active without a database (core plugins are on by default)."""
    return SimpleNamespace(MANIFEST=PluginManifest(name=name, title=name, priority=priority, core=True),
                           **{key: hookimpl(value) for key, value in hooks.items()})


def runtime_with(*plugins):
    return SimpleNamespace(settings=SETTINGS, host=PluginHost(SETTINGS, plugins=list(plugins), include_defaults=False))


class RateTax:
    id = "flat"

    def __init__(self, percent: int):
        self.rate = Decimal(percent) / 100

    async def compute(self, lines, address, prices_include_tax):
        base = sum((l.unit_price.times(l.quantity) for l in lines), Money.zero("EUR"))
        factor = self.rate / (1 + self.rate) if prices_include_tax else self.rate
        return [TaxLine("tax", self.rate, base.apply_rate(factor))] if self.rate else []


lines_strategy = st.lists(
    st.tuples(st.integers(1, 9), st.integers(0, 50_000)), min_size=1, max_size=5
).map(lambda items: [PriceableLine(f"SKU-{i}", q, Money(p, "EUR")) for i, (q, p) in enumerate(items)])

adjustment_strategy = st.tuples(
    st.integers(-60_000, 2_000),  # mostly discounts, some surcharges
    st.one_of(st.none(), st.just(SHIPPING), st.integers(0, 4).map(lambda i: f"SKU-{i}")),
)


def adjuster(name: str, spec):
    def adjustments(lines, context):
        skus = {l.sku for l in lines}
        return [Adjustment(f"{name} {i}", Money(amount, "EUR"), "ignored", sku=target)
                for i, (amount, target) in enumerate(spec) if target is None or target == SHIPPING or target in skus]
    return adjustments


@hsettings(max_examples=60, deadline=None)
@given(lines=lines_strategy,
       plugin_specs=st.lists(st.lists(adjustment_strategy, max_size=3), max_size=3),
       shipping=st.one_of(st.none(), st.integers(0, 3_000)),
       tax_percent=st.sampled_from([0, 7, 19, 20]),
       include_tax=st.booleans(),
       seed=st.integers(0, 1000))
def test_totals_add_up_never_go_negative_and_ignore_registration_order(lines, plugin_specs, shipping, tax_percent,
                                                                      include_tax, seed):
    plugins = [core_plugin(f"promo_{i}", priority=10 * i, pricing_adjustments=adjuster(f"promo_{i}", spec))
               for i, spec in enumerate(plugin_specs)]
    plugins.append(core_plugin("tax", pricing_tax_provider=lambda context: RateTax(tax_percent)))
    context = {"currency": "EUR", "prices_include_tax": include_tax,
               "shipping": Money(shipping, "EUR") if shipping is not None else None}
    priced = asyncio.run(price_lines(runtime_with(*plugins), lines, context))

    shuffled = list(plugins)
    random.Random(seed).shuffle(shuffled)
    again = asyncio.run(price_lines(runtime_with(*shuffled), lines, context))
    assert again == priced, "the result must not depend on the order plugins were registered in"

    line_totals = [priced.line_total(i) for i in range(len(priced.lines))]
    net_shipping = priced.shipping_total + priced.shipping_adjustment
    expected = sum((t.amount for t in line_totals), 0) + net_shipping.amount
    if not include_tax:
        expected += priced.tax_total.amount
    assert priced.total.amount == expected
    assert priced.total.amount == (priced.subtotal.amount + priced.shipping_total.amount
                                   + priced.discount_total.amount + (0 if include_tax else priced.tax_total.amount))
    assert priced.total.amount >= 0
    assert all(t.amount >= 0 for t in line_totals)
    assert net_shipping.amount >= 0
    assert priced.tax_total.amount >= 0
    assert {a.source for a in priced.adjustments} <= {p.MANIFEST.name for p in plugins}


@given(amount=st.integers(-10**9, 10**9), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=8))
def test_pro_rata_split_is_exact(amount, weights):
    parts = split_pro_rata(amount, weights)
    assert sum(parts) == amount and len(parts) == len(weights)
    if amount <= 0 and sum(weights) > 0:
        assert all(part <= 0 for part in parts)
        assert all(part == 0 for part, weight in zip(parts, weights) if weight == 0)


async def test_order_level_discounts_are_shared_pro_rata():
    runtime = runtime_with(core_plugin("promo", pricing_adjustments=lambda lines, context: [
        Adjustment("10 off", Money(-1000, "EUR"), "x")]))
    lines = [PriceableLine("A", 1, Money(3000, "EUR")), PriceableLine("B", 1, Money(1000, "EUR"))]
    priced = await price_lines(runtime, lines, {"currency": "EUR"})
    assert [m.amount for m in priced.line_adjustments] == [-750, -250]
    assert priced.total == Money(3000, "EUR")


async def test_discounts_are_capped_per_line_goods_and_shipping():
    runtime = runtime_with(core_plugin("greedy", pricing_adjustments=lambda lines, context: [
        Adjustment("line", Money(-5000, "EUR"), "x", sku="A"),
        Adjustment("free shipping twice", Money(-1000, "EUR"), "x", sku=SHIPPING),
    ]))
    lines = [PriceableLine("A", 1, Money(2000, "EUR")), PriceableLine("B", 1, Money(500, "EUR"))]
    priced = await price_lines(runtime, lines, {"currency": "EUR", "shipping": Money(490, "EUR")})
    assert [a.amount.amount for a in priced.adjustments] == [-2000, -490]
    assert priced.total == Money(500, "EUR")


async def test_tax_is_computed_on_discounted_lines_and_shipping():
    seen = []

    class Recorder(RateTax):
        async def compute(self, lines, address, prices_include_tax):
            seen.extend((l.sku, l.quantity, l.unit_price.amount, l.tax_class) for l in lines)
            return await super().compute(lines, address, prices_include_tax)

    runtime = runtime_with(
        core_plugin("promo", pricing_adjustments=lambda lines, context: [Adjustment("5 off", Money(-500, "EUR"), "x")]),
        core_plugin("tax", pricing_tax_provider=lambda context: Recorder(20)))
    priced = await price_lines(runtime, [PriceableLine("A", 2, Money(1000, "EUR"))],
                               {"currency": "EUR", "shipping": Money(500, "EUR")})
    assert seen == [("A", 1, 1500, "standard"), (SHIPPING, 1, 500, "shipping")]
    assert priced.tax_total == Money(400, "EUR")
    assert priced.total == Money(2000 - 500 + 500 + 400, "EUR")


@pytest.mark.parametrize(("currency", "amount", "percent", "expected"), [
    ("EUR", 999, "10", 100),     # 99.9 cents -> 100
    ("EUR", 125, "10", 12),      # 12.5 -> 12 (half to even)
    ("EUR", 135, "10", 14),      # 13.5 -> 14 (half to even)
    ("JPY", 999, "10", 100),     # yen have no minor unit: 99.9 yen -> 100 yen
    ("JPY", 105, "10", 10),      # 10.5 yen -> 10
    ("KWD", 12345, "12.5", 1543),  # fils (3 decimals): 1543.125 -> 1543
])
async def test_percentages_round_half_even_in_the_currency_minor_unit(currency, amount, percent, expected):
    runtime = runtime_with(core_plugin("promo", pricing_adjustments=lambda lines, context: [
        Adjustment("pct", lines[0].unit_price.apply_rate(-Decimal(percent) / 100), "x")]))
    priced = await price_lines(runtime, [PriceableLine("A", 1, Money(amount, currency))], {"currency": currency})
    assert priced.discount_total == Money(-expected, currency)


async def test_an_adjustments_plugin_answering_in_another_currency_or_for_another_line_is_left_out():
    """``pricing_adjustments`` skips a failing plugin: the cart is priced
    without its adjustments (never with a wrong one) and says so."""
    fair = core_plugin("fair", pricing_adjustments=lambda lines, context: [Adjustment("y", Money(-10, "EUR"), "x")])
    for broken in (core_plugin("usd_promo", pricing_adjustments=lambda lines, context: [
                       Adjustment("x", Money(-1, "USD"), "x")]),
                   core_plugin("ghost", pricing_adjustments=lambda lines, context: [
                       Adjustment("x", Money(-1, "EUR"), "x", sku="NOT-IN-CART")]),
                   core_plugin("junk", pricing_adjustments=lambda lines, context: "ten percent")):
        priced = await price_lines(runtime_with(broken, fair), [PriceableLine("A", 1, Money(100, "EUR"))],
                                   {"currency": "EUR"})
        assert priced.unavailable == (broken.MANIFEST.name,)
        assert [(a.source, a.amount.amount) for a in priced.adjustments] == [("fair", -10)]
        assert priced.total == Money(90, "EUR")


async def test_a_base_price_in_another_currency_or_type_fails_the_pricing():
    wrong_currency = runtime_with(core_plugin("usd_price", pricing_base_price=lambda line, context: Money(1, "USD")))
    with pytest.raises(HookError, match="usd_price.*USD"):
        await price_lines(wrong_currency, [PriceableLine("A", 1, Money(100, "EUR"))], {"currency": "EUR"})
    negative = runtime_with(core_plugin("negative", pricing_base_price=lambda line, context: Money(-1, "EUR")))
    with pytest.raises(HookError, match="negative.*negative price"):
        await price_lines(negative, [PriceableLine("A", 1, Money(100, "EUR"))], {"currency": "EUR"})


async def test_a_slow_tax_provider_misses_the_deadline():
    class SlowTax(RateTax):
        async def compute(self, lines, address, prices_include_tax):
            await asyncio.sleep(1)
            return []

    runtime = runtime_with(core_plugin("slow_tax", pricing_tax_provider=lambda context: SlowTax(19)))
    with pytest.raises(HookError, match="deadline"):
        await price_lines(runtime, [PriceableLine("A", 1, Money(100, "EUR"))], {"currency": "EUR"})


async def test_a_raising_tax_provider_is_named():
    class BrokenTax(RateTax):
        id = "broken_tax"

        async def compute(self, lines, address, prices_include_tax):
            raise ConnectionError("tax API down")

    runtime = runtime_with(core_plugin("taxes", pricing_tax_provider=lambda context: BrokenTax(19)))
    with pytest.raises(HookError, match="'taxes'.*compute.*tax API down"):
        await price_lines(runtime, [PriceableLine("A", 1, Money(100, "EUR"))], {"currency": "EUR"})
