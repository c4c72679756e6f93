"""Zone matching, postcode patterns and band arithmetic, table-driven (no database)."""
from __future__ import annotations

import pytest

from shopwright_shipping_rates.postcodes import parse, parse_all
from shopwright_shipping_rates.rates import Band, Cart, Method, RateTable, Zone, free_over, prices, zone_for


def zone(name, countries, postcodes="", methods=()):
    return Zone(name, frozenset(countries.split()), parse_all(postcodes), tuple(methods))


TABLE = RateTable((
    zone("Germany", "DE AT"),
    zone("North", "DE", "2*"),
    zone("Sylt", "DE", "25980 25992-25999"),
    zone("Hamburg", "DE", "20000-22999"),
    zone("Rügen", "DE", "18565"),
    zone("London", "GB", "SW1* EC1A"),
))


@pytest.mark.parametrize("country, postcode, expected", [
    ("DE", "10117", "Germany"),          # country-wide
    ("de", "10117", "Germany"),          # country case-insensitive
    ("AT", "1010", "Germany"),
    ("DE", None, "Germany"),             # no postcode yet: the country-wide zone
    ("DE", "29221", "North"),            # wildcard beats country-wide
    ("DE", "20095", "Hamburg"),          # range beats wildcard
    ("DE", "22999", "Hamburg"),          # range ends are inclusive
    ("DE", "23000", "North"),            # just past the range
    ("DE", "25980", "Sylt"),             # exact postcode beats range and wildcard
    ("DE", "25992", "Sylt"),             # range beats wildcard
    ("DE", "18565", "Rügen"),
    ("DE", "18566", "Germany"),
    ("GB", "sw1a 1aa", "London"),        # normalised: upper case, no spaces
    ("GB", "EC1A", "London"),
    ("GB", "EC1A1BB", None),             # exact pattern: only that postcode
    ("GB", None, None),                  # postcode zones need a postcode
    ("FR", "75001", None),               # a country with no zone
    (None, "10117", None),
])
def test_zone_for(country, postcode, expected):
    found = zone_for(TABLE, country, postcode)
    assert (found.name if found else None) == expected


def test_ties_go_to_the_zone_listed_first():
    table = RateTable((zone("A", "DE", "1*"), zone("B", "DE", "1*")))
    assert zone_for(table, "DE", "10117").name == "A"


def test_narrower_range_wins():
    table = RateTable((zone("Wide", "DE", "10000-19999"), zone("Narrow", "DE", "10100-10199")))
    assert zone_for(table, "DE", "10117").name == "Narrow"
    assert zone_for(table, "DE", "10200").name == "Wide"


def test_longer_prefix_wins():
    table = RateTable((zone("One", "DE", "1*"), zone("Two", "DE", "10*")))
    assert zone_for(table, "DE", "10117").name == "Two"
    assert zone_for(table, "DE", "11111").name == "One"


@pytest.mark.parametrize("pattern, postcode, matches", [
    ("18565", "18565", True), ("18565", "18566", False),
    ("1*", "10117", True), ("1*", "20095", False),
    ("25845-25849", "25845", True), ("25845-25849", "25849", True), ("25845-25849", "25850", False),
    ("25845-25849", "2584", False), ("25845-25849", "258450", False), ("25845-25849", "2584A", False),
])
def test_postcode_patterns(pattern, postcode, matches):
    assert parse(pattern).matches(postcode) is matches


@pytest.mark.parametrize("pattern", ["1-22", "30-20", "1**", "*", "a b", "12_34", "1*2"])
def test_bad_postcode_patterns(pattern):
    with pytest.raises(ValueError, match="postcode"):
        parse(pattern)


WEIGHT = Method("standard", "Standard", "weight", "EUR", (Band(None, 1000, 490), Band(1000, 5000, 690)))
SUBTOTAL = Method("island", "Island", "subtotal", "EUR", (Band(None, 5000, 990), Band(5000, None, 0)))
ITEMS = Method("bulky", "Bulky", "items", "EUR", (Band(1, 3, 500), Band(3, 10, 900)))
FLAT = Method("express", "Express", "flat", "EUR", (Band(None, None, 1490),))


@pytest.mark.parametrize("method, value, price", [
    (WEIGHT, 0, 490), (WEIGHT, 999, 490), (WEIGHT, 1000, 690), (WEIGHT, 4999, 690), (WEIGHT, 5000, None),
    (SUBTOTAL, 0, 990), (SUBTOTAL, 4999, 990), (SUBTOTAL, 5000, 0), (SUBTOTAL, 10**9, 0),
    (ITEMS, 0, None), (ITEMS, 1, 500), (ITEMS, 2, 500), (ITEMS, 3, 900), (ITEMS, 9, 900), (ITEMS, 10, None),
    (FLAT, 0, 1490),
])
def test_band_edges(method, value, price):
    assert method.price_for(value) == price


def test_prices_measure_each_basis_and_skip_what_does_not_cover():
    table = RateTable((zone("DE", "DE", methods=(WEIGHT, SUBTOTAL, ITEMS, FLAT)),))
    cart = Cart("EUR", weight_grams=1200, goods_total=5000, items=10)
    assert [(p.method.code, p.amount) for p in prices(table, cart, "DE", None)] == [
        ("standard", 690), ("island", 0), ("express", 1490)]   # 10 items: past the last band
    assert prices(table, cart, "FR", None) == []
    assert prices(table, Cart("USD", 1200, 5000, 1), "DE", None) == []   # another currency


def _method(basis, *bands, currency="EUR"):
    return Method("m", "M", basis, currency, tuple(Band(*band) for band in bands))


@pytest.mark.parametrize("zones, expected", [
    ((), None),                                                               # no zones: no promise
    (((_method("subtotal", (None, 5000, 490), (5000, None, 0)),),), 5000),     # free from 50.00
    (((_method("subtotal", (None, None, 0)),),), 0),                          # always free
    (((_method("subtotal", (5000, 9000, 0)),),), None),                       # free only within a band
    (((_method("weight", (1000, None, 0)),),), None),                         # free by weight: not a goods total
    (((_method("subtotal", (3000, None, 0), currency="USD"),),), None),       # another currency
    (((_method("subtotal", (8000, None, 0)), _method("subtotal", (6000, None, 0))),), 6000),  # the zone's lowest
    (((_method("subtotal", (5000, None, 0)),), (_method("subtotal", (7000, None, 0)),)), 7000),  # all zones' highest
    (((_method("subtotal", (5000, None, 0)),), (_method("flat", (None, None, 490)),)), None),  # a zone never free
])
def test_free_over_holds_for_every_zone(zones, expected):
    table = RateTable(tuple(Zone(f"z{i}", frozenset({"DE"}), (), methods) for i, methods in enumerate(zones)))
    assert free_over(table, "EUR") == expected


FEE = Method("fee", "With fee", "weight", "EUR", (Band(None, 1000, 490), Band(1000, None, 0)), handling_fee=150)
LIMITED = Method("limited", "Limited", "flat", "EUR", (Band(None, None, 500),), min_order=2000, max_order=10000)


@pytest.mark.parametrize("method, value, price", [
    (FEE, 0, 640), (FEE, 999, 640), (FEE, 1000, 150),   # the fee goes on every band, a free one too
    (LIMITED, 0, 500),                                   # price_for ignores the order limits
])
def test_handling_fee_is_added_to_the_band(method, value, price):
    assert method.price_for(value) == price


@pytest.mark.parametrize("goods_total, offered", [
    (0, False), (1999, False), (2000, True),    # min_order inclusive
    (9999, True), (10000, False), (10**9, False),  # max_order exclusive
])
def test_order_limits_decide_whether_a_method_is_offered(goods_total, offered):
    table = RateTable((zone("DE", "DE", methods=(LIMITED, FLAT)),))
    found = [p.method.code for p in prices(table, Cart("EUR", 0, goods_total, 1), "DE", None)]
    assert found == (["limited", "express"] if offered else ["express"])


@pytest.mark.parametrize("min_days, max_days, estimate", [
    (None, None, None), (2, 4, (2, 4)), (3, 3, (3, 3)), (2, None, (2, 2)), (None, 5, (5, 5)), (0, 1, (0, 1)),
])
def test_delivery_estimate(min_days, max_days, estimate):
    assert Method("m", "M", "flat", "EUR", (), min_days=min_days, max_days=max_days).estimated_days == estimate


@pytest.mark.parametrize("method, expected", [
    (Method("m", "M", "subtotal", "EUR", (Band(5000, None, 0),)), 5000),
    (Method("m", "M", "subtotal", "EUR", (Band(5000, None, 0),), handling_fee=100), None),  # never quite free
    (Method("m", "M", "subtotal", "EUR", (Band(5000, None, 0),), min_order=8000), 8000),    # offered from 80.00
    (Method("m", "M", "subtotal", "EUR", (Band(5000, None, 0),), max_order=90000), None),   # not above 900.00
])
def test_free_over_respects_fees_and_limits(method, expected):
    assert free_over(RateTable((zone("DE", "DE", methods=(method,)),)), "EUR") == expected


def test_a_zone_without_methods_makes_no_promise_either_way():
    free = Method("m", "M", "subtotal", "EUR", (Band(5000, None, 0),))
    assert free_over(RateTable((zone("A", "DE", methods=(free,)), zone("B", "AT"))), "EUR") == 5000
