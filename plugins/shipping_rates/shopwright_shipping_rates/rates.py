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
- A method may add a ``handling_fee`` (minor units) to every band's price, be
  offered only for goods totals within ``[min_order, max_order)`` (minor
  units, None: open), promise delivery in ``min_days``–``max_days`` business
  days, and name the ``tax_class`` its shipping charge is taxed with (empty:
  the core's ``shipping`` class).
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
    handling_fee: int = 0
    min_order: int | None = None
    max_order: int | None = None
    min_days: int | None = None
    max_days: int | None = None
    tax_class: str = ""

    def price_for(self, value: int) -> int | None:
        """The price of the band covering ``value`` plus the handling fee,
        None when no band does."""
        price = next((band.price for band in self.bands if band.covers(value)), None)
        return None if price is None else price + self.handling_fee

    def offered_for(self, goods_total: int) -> bool:
        """Whether the goods total (minor units) is within the method's order
        limits: ``min_order`` inclusive, ``max_order`` exclusive."""
        return ((self.min_order is None or goods_total >= self.min_order)
                and (self.max_order is None or goods_total < self.max_order))

    @property
    def estimated_days(self) -> tuple[int, int] | None:
        """``(min, max)`` business days, or None when the method promises none."""
        if self.min_days is None and self.max_days is None:
            return None
        low = self.min_days if self.min_days is not None else self.max_days
        high = self.max_days if self.max_days is not None else self.min_days
        return (low, high)


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
    """The methods of the address's zone that quote for ``cart`` (a band
    covers it and its goods total is within the method's order limits), in
    their listed order, each with its price (band plus handling fee). Methods in another currency than the
    cart's offer nothing (import refuses them for the store's currency)."""
    zone = zone_for(table, country, postcode)
    if zone is None:
        return []
    found = []
    for method in zone.methods:
        if method.currency != cart.currency or not method.offered_for(cart.goods_total):
            continue
        amount = method.price_for(cart.value(method.basis))
        if amount is not None:
            found.append(Price(method, amount))
    return found


def free_over(table: RateTable, currency: str) -> int | None:
    """The goods total (minor units of ``currency``) from which every zone of
    ``table`` ships free: for each zone the lowest start of an open-ended
    ``subtotal`` band priced 0 of a method without handling fee or
    ``max_order`` (from its ``min_order`` when that is higher), and the
    highest of those over the zones. None when some zone never ships free, or
    there are no zones (no promise). A zone without methods (being set up
    in the admin) quotes nothing and is left out, as quoting leaves it out."""
    thresholds = []
    for zone in table.zones:
        if not zone.methods:
            continue
        starts = [max(band.low or 0, method.min_order or 0) for method in zone.methods
                  if method.basis == "subtotal" and method.currency == currency
                  and method.handling_fee == 0 and method.max_order is None
                  for band in method.bands if band.price == 0 and band.high is None]
        if not starts:
            return None
        thresholds.append(min(starts))
    return max(thresholds) if thresholds else None
