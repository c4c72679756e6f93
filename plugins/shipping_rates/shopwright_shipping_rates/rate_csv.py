"""The rate table as CSV: what ``shopwright shipping import`` reads and
``shopwright shipping export`` writes (the format of the design brief).

Header ``zone,countries,postcodes,method,label,basis,min,max,price,currency``;
one band a row. ``countries``: ISO 3166-1 alpha-2 codes separated by spaces;
``postcodes``: optional patterns separated by spaces (see
:mod:`~shopwright_shipping_rates.postcodes`); ``method``: an id of lower-case
letters, digits, ``_`` and ``-``; ``basis``: ``flat``, ``weight`` (grams),
``subtotal`` (decimal major units) or ``items``; ``min`` inclusive, ``max``
exclusive, empty = open (a ``flat`` method has one row with both empty);
``price``: decimal major units ("4.90"), at most as many decimals as the
currency has; ``currency``: the store's.

Optional columns may follow the contract header, in any order (each at most
once): :data:`METHOD_COLUMNS` — ``handling_fee`` (decimal major units added
to every band's price), ``min_order`` / ``max_order`` (decimal major units:
the method is offered for goods totals from ``min_order`` inclusive up to
``max_order`` exclusive; empty: open), ``min_days`` / ``max_days`` (the
delivery estimate in business days, 0–365) and ``tax_class`` (the tax class
of the method's shipping charge; empty: ``shipping``). They belong to the
method, so every row of a method repeats them; a file without them (the
contract header alone) still imports, with none of them set.

Every row of a zone lists the same countries and postcodes; every row of a
method in a zone the same label, basis and currency; its bands must not
overlap. Two zones may not share a pattern (or both be country-wide) for the
same country. A file with the header alone is the empty table (what
``export`` writes when there are no rates). :func:`read_rates` checks
everything and raises :class:`RateFileError` listing every problem as
``line N: ...`` (the header is line 1); it returns a table only when there
is none.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any
from decimal import Decimal, InvalidOperation

from engine.money import currency_exponent

from shopwright_shipping_rates.postcodes import PostcodePattern, parse_all
from shopwright_shipping_rates.rates import BASES, Band, Method, RateTable, Zone
from shopwright_shipping_rates.settings import iso_countries

HEADER = ("zone", "countries", "postcodes", "method", "label", "basis", "min", "max", "price", "currency")
#: the optional per-method columns after :data:`HEADER`; ``export`` writes them all
METHOD_COLUMNS = ("handling_fee", "min_order", "max_order", "min_days", "max_days", "tax_class")
MAX_DAYS = 365
TAX_CLASS = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
MAX_ROWS = 10_000
MAX_ZONE_NAME = 100
MAX_LABEL = 200
#: prices and subtotal bounds stay below this many major units
MAX_MAJOR_UNITS = 10**9
MAX_COUNT = 10**9  # grams or items
MAX_ERRORS_SHOWN = 100
METHOD_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class RateFileError(ValueError):
    """The file was refused; ``errors`` are ``line N: ...`` messages."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        super().__init__("\n".join([f"nothing imported; {len(errors)} problem(s):", *shown]
                                   + ([f"... and {more} more"] if more > 0 else [])))


@dataclass
class _Row:
    line: int
    zone: str
    countries: tuple[str, ...]
    postcodes: tuple[PostcodePattern, ...]
    method: str
    label: str
    basis: str
    low: int | None
    high: int | None
    price: int
    currency: str
    extras: dict[str, Any]


def minor_units(text: str, currency: str, what: str) -> int:
    """Decimal major units of ``currency`` as integer minor units."""
    exponent = currency_exponent(currency)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a decimal amount such as 4.90") from None
    if not value.is_finite() or value < 0 or value >= MAX_MAJOR_UNITS:
        raise ValueError(f"{what} {text!r} must be from 0 to below {MAX_MAJOR_UNITS} {currency}")
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(f"{what} {text!r} has more than {exponent} decimals for {currency}")
    return int(minor)


def bound(text: str, basis: str, currency: str, what: str) -> int | None:
    """A band's ``min`` or ``max`` as typed (grams, items, or decimal major
    units for ``subtotal``) in stored units; None when empty."""
    text = text.strip()
    if not text:
        return None
    if basis == "flat":
        raise ValueError(f"{what} must be empty for basis flat")
    if basis == "subtotal":
        return minor_units(text, currency, what)
    if not text.isdigit() or int(text) > MAX_COUNT:
        unit = "grams" if basis == "weight" else "items"
        raise ValueError(f"{what} {text!r} must be a whole number of {unit} (0 to {MAX_COUNT})")
    return int(text)


def _row(line: int, cells: dict[str, str], store_currency: str) -> _Row:
    """One row, checked on its own; ``ValueError`` with every problem of it."""
    problems: list[str] = []

    def check(fn, *args):
        try:
            return fn(*args)
        except ValueError as exc:
            problems.append(str(exc))
            return None

    zone = cells["zone"].strip()
    if not zone or len(zone) > MAX_ZONE_NAME:
        problems.append(f"zone must be a name of 1 to {MAX_ZONE_NAME} characters")
    countries = tuple(dict.fromkeys(code.upper() for code in cells["countries"].split()))
    if not countries:
        problems.append("countries is empty: list ISO 3166-1 alpha-2 codes separated by spaces")
    unknown = [code for code in countries if code not in iso_countries()]
    if unknown:
        problems.append(f"unknown country {', '.join(unknown)} (use ISO 3166-1 alpha-2 codes such as DE)")
    postcodes = check(parse_all, cells["postcodes"]) or ()
    method = cells["method"].strip()
    if not METHOD_CODE.match(method):
        problems.append(f"method {method!r} must be 1 to 64 lower-case letters, digits, '_' or '-'")
    label = cells["label"].strip()
    if not label or len(label) > MAX_LABEL:
        problems.append(f"label must be 1 to {MAX_LABEL} characters")
    basis = cells["basis"].strip().lower()
    currency = cells["currency"].strip().upper()
    if currency != store_currency:
        problems.append(f"currency {cells['currency'].strip()!r} is not the store's currency {store_currency}")
    if basis not in BASES:
        problems.append(f"basis {cells['basis'].strip()!r} must be one of {', '.join(BASES)}")
        low = high = None
    else:
        low = check(bound, cells["min"], basis, store_currency, "min")
        high = check(bound, cells["max"], basis, store_currency, "max")
        if low is not None and high is not None and low >= high:
            problems.append(f"min {cells['min'].strip()} must be below max {cells['max'].strip()} "
                            "(min is inclusive, max exclusive)")
    price_text = cells["price"].strip()
    price = check(minor_units, price_text, store_currency, "price") if price_text else None
    if not price_text:
        problems.append("price is empty")
    extras = check(method_fields, cells, store_currency) or {}
    if problems:
        raise ValueError("; ".join(problems))
    return _Row(line, zone, countries, postcodes, method, label, basis, low, high, price, currency, extras)


def _optional_amount(text: str, currency: str, what: str) -> int | None:
    return minor_units(text, currency, what) if text else None


def _days(text: str, what: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_DAYS:
        raise ValueError(f"{what} {text!r} must be a whole number of business days (0 to {MAX_DAYS})")
    return int(text)


def method_fields(cells: dict[str, str], currency: str) -> dict[str, Any]:
    """The optional per-method fields of ``cells`` (text as typed: decimal
    major units, whole days; missing or empty: unset) as the keyword
    arguments of :class:`~shopwright_shipping_rates.rates.Method`; ValueError
    listing every problem. Shared by the CSV and the admin page's form."""
    text = {name: (cells.get(name) or "").strip() for name in METHOD_COLUMNS}
    problems: list[str] = []
    values: dict[str, Any] = {}
    readers = {"handling_fee": lambda t: _optional_amount(t, currency, "handling_fee") or 0,
               "min_order": lambda t: _optional_amount(t, currency, "min_order"),
               "max_order": lambda t: _optional_amount(t, currency, "max_order"),
               "min_days": lambda t: _days(t, "min_days"), "max_days": lambda t: _days(t, "max_days")}
    for name, read in readers.items():
        try:
            values[name] = read(text[name])
        except ValueError as exc:
            problems.append(str(exc))
    if text["tax_class"] and not TAX_CLASS.match(text["tax_class"]):
        problems.append(f"tax_class {text['tax_class']!r} must be 1 to 50 letters, digits, '_' or '-'")
    values["tax_class"] = text["tax_class"]
    for low, high, unit in (("min_order", "max_order", ""), ("min_days", "max_days", " days")):
        if values.get(low) is not None and values.get(high) is not None and values[low] >= values[high] \
                and not (unit and values[low] == values[high]):
            relation = "at most" if unit else "below"
            problems.append(f"{low} {text[low]} must be {relation} {high} {text[high]}")
    if problems:
        raise ValueError("; ".join(problems))
    return values


def _rows(text: str, store_currency: str, errors: list[str]) -> list[_Row]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    names = tuple(cell.strip().lower() for cell in header or ())
    extra = names[len(HEADER):]
    if names[:len(HEADER)] != HEADER:
        errors.append(f"line 1: the header must be {','.join(HEADER)} (then optionally any of "
                      f"{','.join(METHOD_COLUMNS)})")
        return []
    unknown = [name for name in extra if name not in METHOD_COLUMNS]
    twice = sorted({name for name in extra if extra.count(name) > 1})
    if unknown or twice:
        errors.append("line 1: " + "; ".join(
            ([f"unknown column(s) {', '.join(unknown)} (optional columns: {', '.join(METHOD_COLUMNS)})"]
             if unknown else []) + ([f"column(s) {', '.join(twice)} given twice"] if twice else [])))
        return []
    rows: list[_Row] = []
    count = 0
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            errors.append(f"line {line}: more than {MAX_ROWS} rows")
            break
        if len(cells) != len(names):
            errors.append(f"line {line}: {len(cells)} columns, expected {len(names)}")
            continue
        try:
            rows.append(_row(line, dict(zip(names, cells)), store_currency))
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
    return rows


def _consistent(rows: list[_Row], errors: list[str]) -> None:
    """Rows of one zone agree on its place; rows of one method on its label,
    basis and currency; a flat method has one row."""
    zones: dict[str, _Row] = {}
    methods: dict[tuple[str, str], _Row] = {}
    for row in rows:
        first = zones.setdefault(row.zone, row)
        if (set(row.countries), set(map(str, row.postcodes))) != (set(first.countries), set(map(str, first.postcodes))):
            errors.append(f"line {row.line}: zone {row.zone!r} lists other countries or postcodes than on line "
                          f"{first.line}; every row of a zone lists the same")
        key = (row.zone, row.method)
        first = methods.setdefault(key, row)
        if first is row:
            continue
        for attribute in ("label", "basis", "currency"):
            if getattr(row, attribute) != getattr(first, attribute):
                errors.append(f"line {row.line}: method {row.method!r} in zone {row.zone!r} has {attribute} "
                              f"{getattr(row, attribute)!r}, but {getattr(first, attribute)!r} on line {first.line}")
        for name in METHOD_COLUMNS:
            if row.extras.get(name) != first.extras.get(name):
                errors.append(f"line {row.line}: method {row.method!r} in zone {row.zone!r} has another {name} "
                              f"than on line {first.line}; every row of a method repeats it")
        if row.basis == "flat" and first.basis == "flat":
            errors.append(f"line {row.line}: method {row.method!r} in zone {row.zone!r} is flat and already has "
                          f"its price on line {first.line}")


def _no_overlaps(rows: list[_Row], errors: list[str]) -> None:
    by_method: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        by_method.setdefault((row.zone, row.method), []).append(row)
    for (zone, method), bands in by_method.items():
        ordered = sorted(bands, key=lambda r: (-1 if r.low is None else r.low, r.line))
        for before, after in zip(ordered, ordered[1:]):
            after_low = -1 if after.low is None else after.low
            if before.high is None or before.high > after_low:
                later, earlier = (after, before) if after.line > before.line else (before, after)
                errors.append(f"line {later.line}: the band of method {method!r} in zone {zone!r} overlaps "
                              f"the band on line {earlier.line}")


def _no_twin_zones(rows: list[_Row], errors: list[str]) -> None:
    """No two zones cover a country equally: both country-wide, or with the same pattern."""
    claimed: dict[tuple[str, str], _Row] = {}
    seen_zones: set[str] = set()
    for row in rows:
        if row.zone in seen_zones:
            continue
        seen_zones.add(row.zone)
        patterns = [str(p) for p in row.postcodes] or [""]
        for country in row.countries:
            for pattern in patterns:
                first = claimed.setdefault((country, pattern), row)
                if first is not row:
                    what = f"postcodes {pattern}" if pattern else "the whole country"
                    errors.append(f"line {row.line}: zones {first.zone!r} (line {first.line}) and {row.zone!r} both "
                                  f"cover {country} with {what}; give one of them other postcodes")


def read_rates(text: str, store_currency: str) -> RateTable:
    """The rate table of CSV ``text``, in the order of the file, or
    :class:`RateFileError` listing every problem of every line."""
    errors: list[str] = []
    rows = _rows(text, store_currency, errors)
    # the rows that are right on their own are checked together as well, so
    # one run lists every problem of the file
    _consistent(rows, errors)
    _no_overlaps(rows, errors)
    _no_twin_zones(rows, errors)
    if errors:
        raise RateFileError(sorted(errors, key=_line_of))
    return _table(rows)


def _line_of(message: str) -> int:
    match = re.match(r"line (\d+):", message)
    return int(match.group(1)) if match else 0


def _table(rows: list[_Row]) -> RateTable:
    zones: dict[str, dict[str, list[_Row]]] = {}
    for row in rows:
        zones.setdefault(row.zone, {}).setdefault(row.method, []).append(row)
    built = []
    for name, methods in zones.items():
        first = next(iter(methods.values()))[0]
        built.append(Zone(name, frozenset(first.countries), first.postcodes, tuple(
            Method(code, bands[0].label, bands[0].basis, bands[0].currency,
                   tuple(Band(b.low, b.high, b.price) for b in bands), **bands[0].extras)
            for code, bands in methods.items())))
    return RateTable(tuple(built))


def _major(amount: int, currency: str) -> str:
    exponent = currency_exponent(currency)
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"


def _bound_text(value: int | None, basis: str, currency: str) -> str:
    if value is None:
        return ""
    return _major(value, currency) if basis == "subtotal" else str(value)


def _method_cells(method: Method) -> list[str]:
    def amount(value: int | None) -> str:
        return "" if value is None else _major(value, method.currency)

    def days(value: int | None) -> str:
        return "" if value is None else str(value)

    return [amount(method.handling_fee) if method.handling_fee else "", amount(method.min_order),
            amount(method.max_order), days(method.min_days), days(method.max_days), method.tax_class]


def write_rates(table: RateTable) -> str:
    """``table`` as CSV that :func:`read_rates` reads back to the same table
    (countries sorted, prices with the currency's decimals), with every
    optional column of :data:`METHOD_COLUMNS` after the contract header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER + METHOD_COLUMNS)
    for zone in table.zones:
        countries = " ".join(sorted(zone.countries))
        postcodes = " ".join(str(p) for p in zone.postcodes)
        for method in zone.methods:
            for band in method.bands:
                writer.writerow([zone.name, countries, postcodes, method.code, method.label, method.basis,
                                 _bound_text(band.low, method.basis, method.currency),
                                 _bound_text(band.high, method.basis, method.currency),
                                 _major(band.price, method.currency), method.currency, *_method_cells(method)])
    return out.getvalue()
