"""Edits of the rate table from the admin page's forms: pure functions from a
:class:`~shopwright_shipping_rates.rates.RateTable` and a form (text as
typed, amounts in decimal major units) to the edited table. Every problem is
reported at its field: :class:`FormProblems` maps field names to messages,
and nothing is changed.

Zones are named by their name, methods by their code within the zone, bands
by their position within the method. The checks are those of the CSV
(:mod:`~shopwright_shipping_rates.rate_csv`): ISO countries, postcode
patterns, no two zones covering a country equally, method codes, bands that
do not overlap, one open band for a flat method.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from shopwright_shipping_rates.postcodes import parse_all
from shopwright_shipping_rates.rate_csv import (MAX_LABEL, MAX_ZONE_NAME, METHOD_CODE, bound, method_fields,
                                                minor_units)
from shopwright_shipping_rates.rates import BASES, Band, Method, RateTable, Zone
from shopwright_shipping_rates.settings import iso_countries


class FormProblems(ValueError):
    """The form was refused; ``errors`` maps each field to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class NotFound(LookupError):
    """The zone, method or band named by the form is not in the table (any more)."""


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def find_zone(table: RateTable, name: str) -> Zone:
    zone = next((zone for zone in table.zones if zone.name == name), None)
    if zone is None:
        raise NotFound(f"there is no zone {name!r}")
    return zone


def find_method(zone: Zone, code: str) -> Method:
    method = next((method for method in zone.methods if method.code == code), None)
    if method is None:
        raise NotFound(f"zone {zone.name!r} has no method {code!r}")
    return method


def _replace_zone(table: RateTable, name: str, zone: Zone | None) -> RateTable:
    zones = [zone if old.name == name else old for old in table.zones]
    return RateTable(tuple(z for z in zones if z is not None))


def _replace_method(zone: Zone, code: str, method: Method | None) -> Zone:
    methods = [method if old.code == code else old for old in zone.methods]
    return replace(zone, methods=tuple(m for m in methods if m is not None))


# ------------------------------------------------------------------ zones
def save_zone(table: RateTable, original: str | None, form: Mapping[str, str]) -> RateTable:
    """Add a zone (``original`` None) or change zone ``original`` from the
    form's ``name``, ``countries`` (codes separated by spaces or commas) and
    ``postcodes`` (patterns separated by spaces)."""
    errors: dict[str, str] = {}
    name = _text(form, "name")
    if not name or len(name) > MAX_ZONE_NAME:
        errors["name"] = f"Give the zone a name of 1 to {MAX_ZONE_NAME} characters."
    elif name != original and any(zone.name == name for zone in table.zones):
        errors["name"] = f"There is already a zone named {name!r}."
    countries = tuple(dict.fromkeys(code.upper() for code in _text(form, "countries").replace(",", " ").split()))
    unknown = [code for code in countries if code not in iso_countries()]
    if not countries:
        errors["countries"] = "List at least one country as an ISO code, such as DE."
    elif unknown:
        errors["countries"] = f"Unknown country {', '.join(unknown)}: use ISO 3166-1 alpha-2 codes such as DE."
    try:
        postcodes = parse_all(_text(form, "postcodes"))
    except ValueError as exc:
        errors["postcodes"] = str(exc)
        postcodes = ()
    if not errors:
        twin = _twin(table, original, set(countries), {str(p) for p in postcodes})
        if twin:
            errors["postcodes" if postcodes else "countries"] = twin
    if errors:
        raise FormProblems(errors)
    if original is None:
        return RateTable((*table.zones, Zone(name, frozenset(countries), postcodes, ())))
    old = find_zone(table, original)
    return _replace_zone(table, original, replace(old, name=name, countries=frozenset(countries),
                                                  postcodes=postcodes))


def _twin(table: RateTable, original: str | None, countries: set[str], patterns: set[str]) -> str | None:
    """Why the zone would cover a country as another zone does, or None."""
    mine = patterns or {""}
    for zone in table.zones:
        if zone.name == original:
            continue
        shared = sorted(countries & zone.countries)
        common = mine & ({str(p) for p in zone.postcodes} or {""})
        if shared and common:
            what = f"postcodes {', '.join(sorted(common))}" if common != {""} else "the whole country"
            return (f"Zone {zone.name!r} already covers {', '.join(shared)} with {what}; "
                    "give this zone other postcodes.")
    return None


def delete_zone(table: RateTable, name: str) -> RateTable:
    find_zone(table, name)
    return _replace_zone(table, name, None)


# ------------------------------------------------------------------ methods
def save_method(table: RateTable, zone_name: str, original: str | None, form: Mapping[str, str],
                currency: str) -> RateTable:
    """Add a method to zone ``zone_name`` (``original`` None; the form also
    gives its first band: ``min``, ``max``, ``price``) or change method
    ``original`` from the form's ``code``, ``label``, ``basis`` and the
    optional ``handling_fee``, ``min_order``, ``max_order`` (major units),
    ``min_days``, ``max_days`` and ``tax_class``."""
    zone = find_zone(table, zone_name)
    old = find_method(zone, original) if original is not None else None
    errors: dict[str, str] = {}
    code = _text(form, "code")
    if not METHOD_CODE.match(code):
        errors["code"] = "Use 1 to 64 lower-case letters, digits, '_' or '-', such as standard."
    elif code != original and any(method.code == code for method in zone.methods):
        errors["code"] = f"Zone {zone.name!r} already has a method {code!r}."
    label = _text(form, "label")
    if not label or len(label) > MAX_LABEL:
        errors["label"] = f"Give the label shoppers see, 1 to {MAX_LABEL} characters."
    basis = _text(form, "basis").lower()
    if basis not in BASES:
        errors["basis"] = f"Choose one of {', '.join(BASES)}."
    elif old is not None and basis == "flat" and (len(old.bands) > 1 or any(
            band.low is not None or band.high is not None for band in old.bands)):
        errors["basis"] = "A flat method has one band without limits: delete the other bands first."
    extras = {}
    for name in ("handling_fee", "min_order", "max_order", "min_days", "max_days", "tax_class"):
        try:
            extras[name] = method_fields({name: form.get(name, "")}, currency)[name]
        except ValueError as exc:
            errors[name] = str(exc)
    if not errors:
        try:
            extras = method_fields(form, currency)   # the checks between fields: min below max
        except ValueError as exc:
            errors["max_days" if "days" in str(exc) else "max_order"] = str(exc)
    bands = old.bands if old is not None else ()
    if old is None and basis in BASES:
        try:
            bands = (_band(form, basis, currency, ()),)
        except FormProblems as exc:
            errors.update(exc.errors)
    if errors:
        raise FormProblems(errors)
    method = Method(code, label, basis, currency, bands, **extras)
    if old is None:
        return _replace_zone(table, zone.name, replace(zone, methods=(*zone.methods, method)))
    return _replace_zone(table, zone.name, _replace_method(zone, original, method))


def delete_method(table: RateTable, zone_name: str, code: str) -> RateTable:
    zone = find_zone(table, zone_name)
    find_method(zone, code)
    return _replace_zone(table, zone_name, _replace_method(zone, code, None))


# ------------------------------------------------------------------ bands
def _band(form: Mapping[str, str], basis: str, currency: str, others: tuple[Band, ...]) -> Band:
    errors: dict[str, str] = {}
    values: dict[str, int | None] = {}
    for name in ("min", "max"):
        try:
            values[name] = bound(form.get(name) or "", basis, currency, name)
        except ValueError as exc:
            errors[name] = str(exc)
    price_text = _text(form, "price")
    try:
        price = minor_units(price_text, currency, "price") if price_text else None
        if price is None:
            errors["price"] = "Give the price in major units, such as 4.90."
    except ValueError as exc:
        errors["price"] = str(exc)
    low, high = values.get("min"), values.get("max")
    if not errors and low is not None and high is not None and low >= high:
        errors["max"] = "max must be above min (min is inclusive, max exclusive)."
    if not errors:
        band = Band(low, high, price)
        if basis == "flat" and others:
            errors["min"] = "A flat method has one price: change its band instead of adding one."
        elif any(_overlap(band, other) for other in others):
            errors["min"] = "This band overlaps another band of the method."
    if errors:
        raise FormProblems(errors)
    return band


def _overlap(one: Band, other: Band) -> bool:
    low = max(-1 if one.low is None else one.low, -1 if other.low is None else other.low)
    high = min(float("inf") if one.high is None else one.high, float("inf") if other.high is None else other.high)
    return low < high


def save_band(table: RateTable, zone_name: str, code: str, position: int | None,
              form: Mapping[str, str]) -> RateTable:
    """Add a band to the method (``position`` None) or change band
    ``position`` from the form's ``min``, ``max`` (grams, items, or major
    units for ``subtotal``; empty: open) and ``price`` (major units)."""
    zone = find_zone(table, zone_name)
    method = find_method(zone, code)
    if position is not None and not 0 <= position < len(method.bands):
        raise NotFound(f"method {code!r} has no band {position + 1}")
    others = tuple(band for i, band in enumerate(method.bands) if i != position)
    band = _band(form, method.basis, method.currency, others)
    bands = list(method.bands)
    if position is None:
        bands.append(band)
    else:
        bands[position] = band
    bands.sort(key=lambda b: -1 if b.low is None else b.low)
    return _replace_zone(table, zone_name, _replace_method(zone, code, replace(method, bands=tuple(bands))))


def delete_band(table: RateTable, zone_name: str, code: str, position: int) -> RateTable:
    zone = find_zone(table, zone_name)
    method = find_method(zone, code)
    if not 0 <= position < len(method.bands):
        raise NotFound(f"method {code!r} has no band {position + 1}")
    if len(method.bands) == 1:
        raise FormProblems({"band": "A method needs at least one band: delete the method instead."})
    bands = tuple(band for i, band in enumerate(method.bands) if i != position)
    return _replace_zone(table, zone_name, _replace_method(zone, code, replace(method, bands=bands)))
