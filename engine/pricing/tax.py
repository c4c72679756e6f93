"""The core tax provider: percentage rates per country/region and tax class.

Rates are keyed ``COUNTRY``, ``COUNTRY-REGION`` (ISO 3166-2, e.g. ``US-CA``)
or ``*`` (everywhere else), optionally followed by ``:tax_class``
(``DE:reduced``). For a line of class ``c`` shipped to country ``C``, region
``R`` the first key found wins, in this order: ``C-R:c``, ``C:c``, ``C-R``,
``C``, ``*:c``, ``*``. No key found: the line is not taxed. The shipping
charge has the class ``shipping``, so it follows the standard rate unless
``C:shipping`` says otherwise.

Tax is computed per rate on the sum of the lines it applies to and rounded
once, half to even, to the currency's minor unit: ``base × rate`` when prices
exclude tax, ``base × rate / (1 + rate)`` when they include it.
"""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from engine.pricing.percent import RateError, parse_percent
from engine.money import Money
from engine.protocols import PriceableLine, TaxLine


def parse_rates(value: Any) -> dict[str, Decimal]:
    """Rates from a mapping, a JSON object, or text such as
    ``"DE=19, DE:reduced=7 %, US-CA=7.25"`` (percent). Raises ValueError.

    The text form is what people type (``shopwright plugins configure
    core_tax rates=...``): each rate is read by
    :func:`engine.pricing.percent.parse_percent`, so ``DE=0.19`` is refused
    as ambiguous (19 % or 0.19 %?) instead of silently meaning 0.19 %. A
    mapping (the stored settings, the admin API's JSON) holds percents as
    numbers already."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            pairs = {}
            for part in text.replace(";", ",").split(","):
                if not part.strip():
                    continue
                key, sep, rate = part.partition("=")
                if not sep:
                    raise ValueError(f"expected KEY=PERCENT, got {part.strip()!r}")
                try:
                    pairs[key.strip()] = str(parse_percent(rate))
                except RateError as exc:
                    raise ValueError(f"rate {key.strip()!r}: {exc}") from None
            value = pairs
    if not isinstance(value, Mapping):
        raise ValueError("rates must be an object of KEY -> percent")
    rates = {}
    for key, rate in value.items():
        key = str(key).strip()
        place, _, tax_class = key.partition(":")
        country = place.split("-")[0]
        if not (place == "*" or (len(country) == 2 and country.isalpha() and country.isupper())):
            raise ValueError(f"rate key {key!r}: use COUNTRY, COUNTRY-REGION or *, optionally :tax_class")
        try:
            percent = Decimal(str(rate))
        except InvalidOperation:
            raise ValueError(f"rate {key!r}: {rate!r} is not a number") from None
        if not Decimal(0) <= percent <= Decimal(100):
            raise ValueError(f"rate {key!r}: must be between 0 and 100 percent")
        rates[key] = percent
    return rates


def region_code(country: str, region: str | None) -> str | None:
    if not region:
        return None
    region = region.strip().upper()
    return region if region.startswith(country + "-") else f"{country}-{region}"


def find_rate(rates: Mapping[str, Decimal], country: str | None, region: str | None, tax_class: str) -> Decimal | None:
    """The percent for one line, by the lookup order in the module docstring."""
    keys = []
    if country:
        place = region_code(country, region)
        if place:
            keys.append(f"{place}:{tax_class}")
        keys.append(f"{country}:{tax_class}")
        if place:
            keys.append(place)
        keys.append(country)
    keys += [f"*:{tax_class}", "*"]
    for key in keys:
        if key in rates:
            return rates[key]
    return None


class RateTableTax:
    """A :class:`engine.protocols.TaxProvider` over a rate table."""

    id = "core_tax"

    def __init__(self, rates: Mapping[str, Decimal], default_country: str = "", label: str = "Tax") -> None:
        self.rates = dict(rates)
        self.default_country = default_country
        self.label = label

    async def compute(self, lines: Sequence[PriceableLine], address: Mapping[str, Any] | None,
                      prices_include_tax: bool) -> list[TaxLine]:
        address = address or {}
        country = (address.get("country") or self.default_country or "").upper() or None
        region = address.get("region") if address.get("country") else None
        bases: dict[Decimal, Money] = {}
        for line in lines:
            percent = find_rate(self.rates, country, region, line.tax_class)
            if percent is None or percent == 0:
                continue
            amount = line.unit_price.times(line.quantity)
            bases[percent] = bases[percent] + amount if percent in bases else amount
        out = []
        for percent in sorted(bases, reverse=True):
            rate = percent / 100
            factor = rate / (1 + rate) if prices_include_tax else rate
            amount = bases[percent].apply_rate(factor)
            if amount.amount < 0:
                amount = Money.zero(amount.currency)
            out.append(TaxLine(f"{self.label} {percent.normalize():f}%", rate, amount))
        return out
