"""The rate table: zones, their methods and each method's bands, and how a
cart is quoted from it. Pure data and arithmetic: no database, no network.

- A :class:`Zone` covers ``countries`` (ISO 3166-1 alpha-2), either whole
  (no postcodes) or only the postcodes its patterns match. For an address the
  zone whose match is the most specific wins (:func:`zone_for`): an exact
  postcode over a range over a wildcard over the whole country; among equals,
  the zone listed first.
- A :class:`Method` of a zone has one ``basis`` — ``flat``, ``weight``
  (grams), ``subtotal`` (minor units of its currency, compared with the goods
  total after discounts) or ``items`` (units in the cart) — and bands.
- A :class:`Band` applies when ``low <= value < high`` (``None``: open); its
  ``price`` is in minor units of the method's ``currency``. A method whose
  bands do not cover the cart's value offers nothing for that cart.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from shopwright_shipping_rates.postcodes import COUNTRY_WIDE, PostcodePattern, normalise

BASES = ("flat", "weight", "subtotal", "items")


@dataclass(frozen=True)
class Band:
    """``price`` (minor units) for values in ``[low, high)``; None is open."""

    low: int | None
    high: int | None
    price: int

    def covers(self, value: int) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)


@dataclass(frozen=True)
class Method:
    """A way to ship within a zone, offered as ``shipping_rates:<code>``."""

    code: str
    label: str
    basis: str
    currency: str
    bands: tuple[Band, ...]

    def price_for(self, value: int) -> int | None:
        """The price of the band covering ``value``, None when no band does."""
        return next((band.price for band in self.bands if band.covers(value)), None)


@dataclass(frozen=True)
class Zone:
    name: str
    countries: frozenset[str]
    postcodes: tuple[PostcodePattern, ...]
    methods: tuple[Method, ...]

    def specificity(self, country: str, postcode: str | None) -> tuple[int, int] | None:
        """How specifically this zone covers the address (larger wins), or
        None when it does not cover it. Without a postcode only a zone
        without postcode patterns covers the address."""
        if country not in self.countries:
            return None
        if not self.postcodes:
            return COUNTRY_WIDE
        if not postcode:
            return None
        code = normalise(postcode)
        found = [pattern.specificity() for pattern in self.postcodes if pattern.matches(code)]
        return max(found) if found else None


@dataclass(frozen=True)
class RateTable:
    """Every zone, in the order the merchant listed them."""

    zones: tuple[Zone, ...] = field(default_factory=tuple)


def zone_for(table: RateTable, country: str | None, postcode: str | None) -> Zone | None:
    """The zone that applies to an address: the most specific covering one,
    the first listed among equals; None when no zone covers it (or the
    country is unknown)."""
    if not country:
        return None
    country = country.upper()
    best: tuple[tuple[int, int], Zone] | None = None
    for zone in table.zones:
        rank = zone.specificity(country, postcode)
        if rank is not None and (best is None or rank > best[0]):
            best = (rank, zone)
    return best[1] if best else None


@dataclass(frozen=True)
class Cart:
    """What the bases measure: weight in grams, goods total after discounts in
    minor units of ``currency``, and the number of units."""

    currency: str
    weight_grams: int
    goods_total: int
    items: int

    def value(self, basis: str) -> int:
        return {"flat": 0, "weight": self.weight_grams, "subtotal": self.goods_total, "items": self.items}[basis]


@dataclass(frozen=True)
class Price:
    method: Method
    amount: int


def prices(table: RateTable, cart: Cart, country: str | None, postcode: str | None) -> list[Price]:
    """The methods of the address's zone that quote for ``cart``, in their
    listed order, each with its price. Methods in another currency than the
    cart's offer nothing (import refuses them for the store's currency)."""
    zone = zone_for(table, country, postcode)
    if zone is None:
        return []
    found = []
    for method in zone.methods:
        if method.currency != cart.currency:
            continue
        amount = method.price_for(cart.value(method.basis))
        if amount is not None:
            found.append(Price(method, amount))
    return found


def free_over(table: RateTable, currency: str) -> int | None:
    """The goods total (minor units of ``currency``) from which every zone of
    ``table`` ships free: for each zone the lowest start of an open-ended
    ``subtotal`` band priced 0, and the highest of those over the zones. None
    when some zone never ships free, or there are no zones (no promise)."""
    thresholds = []
    for zone in table.zones:
        starts = [band.low or 0 for method in zone.methods if method.basis == "subtotal" and method.currency == currency
                  for band in method.bands if band.price == 0 and band.high is None]
        if not starts:
            return None
        thresholds.append(min(starts))
    return max(thresholds) if thresholds else None
