"""Properties of quoting from a rate table (hypothesis): for any valid table
and cart, each method's quote is exactly the price of the one band that
covers the cart's value plus the method's handling fee, offered only within
the method's order limits, so the cheapest quote never exceeds the configured
rate of its band (with its fee); and a written table reads back the same."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shopwright_shipping_rates.rate_csv import read_rates, write_rates
from shopwright_shipping_rates.rates import BASES, Band, Cart, Method, RateTable, Zone, prices


@st.composite
def bands(draw) -> tuple[Band, ...]:
    """Non-overlapping bands: sorted cut points, each gap optionally left out."""
    cuts = sorted(draw(st.sets(st.integers(0, 100_000), min_size=1, max_size=6)))
    edges = [None, *cuts, None] if draw(st.booleans()) else [*cuts, None]
    found = []
    for low, high in zip(edges, edges[1:]):
        if draw(st.booleans()) or not found:
            found.append(Band(low, high, draw(st.integers(0, 1_000_000))))
    return tuple(found)


@st.composite
def methods(draw, code: str) -> Method:
    basis = draw(st.sampled_from(BASES))
    chosen = (Band(None, None, draw(st.integers(0, 1_000_000))),) if basis == "flat" else draw(bands())
    low = draw(st.none() | st.integers(0, 100_000))
    high = draw(st.none() | st.integers((low or 0) + 1, 200_000))
    days = draw(st.none() | st.tuples(st.integers(0, 10), st.integers(0, 10)).map(sorted))
    return Method(code, f"Method {code}", basis, "EUR", chosen, handling_fee=draw(st.integers(0, 5_000)),
                  min_order=low, max_order=high, min_days=days[0] if days else None,
                  max_days=days[1] if days else None, tax_class=draw(st.sampled_from(["", "reduced", "zero"])))


@st.composite
def tables(draw) -> RateTable:
    count = draw(st.integers(1, 4))
    return RateTable((Zone("Home", frozenset({"DE"}), (), tuple(draw(methods(f"m{i}")) for i in range(count))),))


carts = st.builds(Cart, currency=st.just("EUR"), weight_grams=st.integers(0, 120_000),
                  goods_total=st.integers(0, 120_000), items=st.integers(0, 200))


@settings(max_examples=300, deadline=None)
@given(tables(), carts)
def test_each_quote_is_its_covering_bands_price(table, cart):
    quoted = {price.method.code: price.amount for price in prices(table, cart, "DE", "10117")}
    for method in table.zones[0].methods:
        value = cart.value(method.basis)
        covering = [band for band in method.bands
                    if (band.low is None or band.low <= value) and (band.high is None or value < band.high)]
        assert len(covering) <= 1
        within = ((method.min_order is None or cart.goods_total >= method.min_order)
                  and (method.max_order is None or cart.goods_total < method.max_order))
        expected = covering[0].price + method.handling_fee if covering and within else None
        assert quoted.get(method.code) == expected
    if quoted:
        cheapest = min(quoted, key=quoted.get)
        method = next(m for m in table.zones[0].methods if m.code == cheapest)
        band = next(b for b in method.bands if b.covers(cart.value(method.basis)))
        assert quoted[cheapest] <= band.price + method.handling_fee


@settings(max_examples=150, deadline=None)
@given(tables())
def test_a_written_table_reads_back_the_same(table):
    assert read_rates(write_rates(table), "EUR") == table
