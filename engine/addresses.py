"""Address and e-mail validation for checkout (no database, no network).

An address is ``{first_name, last_name, company?, line1, line2?, city, region?,
postal_code, country, phone?}``. ``country`` must be an ISO 3166-1 alpha-2
code known to pycountry; ``postal_code`` must match the country's pattern
where one is known (:data:`POSTCODE_PATTERNS`) and is required unless the
country has no postcodes (:data:`NO_POSTCODE`). ``region`` must be one of the
country's ISO 3166-2 subdivisions (code with or without the country prefix,
or its name) where regions are checked (:data:`REGION_CHECKED`); a region is
never required. A recognised region is normalised to its ISO 3166-2 code
(``"ca"`` in the US → ``"US-CA"``); elsewhere anything else is kept as typed. Errors are keyed ``<prefix>.<field>`` so a form shows them on the field.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Mapping, Sequence

import pycountry
from babel import Locale, UnknownLocaleError

ADDRESS_FIELDS = ("first_name", "last_name", "company", "line1", "line2", "city", "region", "postal_code",
                  "country", "phone")
REQUIRED = ("first_name", "last_name", "line1", "city", "country")
MAX_LENGTH = {"first_name": 100, "last_name": 100, "company": 200, "line1": 200, "line2": 200, "city": 100,
              "region": 100, "postal_code": 20, "country": 2, "phone": 40}

#: Postcode patterns (after upper-casing and trimming) of the countries we know.
POSTCODE_PATTERNS: dict[str, tuple[str, str]] = {
    "AT": (r"\d{4}", "4 digits, e.g. 1010"),
    "AU": (r"\d{4}", "4 digits, e.g. 2000"),
    "BE": (r"\d{4}", "4 digits, e.g. 1000"),
    "CA": (r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d", "like K1A 0B1"),
    "CH": (r"\d{4}", "4 digits, e.g. 8001"),
    "CZ": (r"\d{3} ?\d{2}", "like 110 00"),
    "DE": (r"\d{5}", "5 digits, e.g. 10115"),
    "DK": (r"\d{4}", "4 digits, e.g. 1050"),
    "ES": (r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}", "5 digits, e.g. 28001"),
    "FI": (r"\d{5}", "5 digits, e.g. 00100"),
    "FR": (r"\d{5}", "5 digits, e.g. 75001"),
    "GB": (r"(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})", "like SW1A 1AA"),
    "IE": (r"[AC-FHKNPRTV-Y]\d{2}(?:\d|W) ?[0-9AC-FHKNPRTV-Y]{4}", "an Eircode like D02 X285"),
    "IT": (r"\d{5}", "5 digits, e.g. 00184"),
    "JP": (r"\d{3}-?\d{4}", "like 100-0001"),
    "LU": (r"(?:L-)?\d{4}", "4 digits, e.g. 1009"),
    "NL": (r"[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}", "4 digits and 2 letters, e.g. 1012 AB"),
    "NO": (r"\d{4}", "4 digits, e.g. 0150"),
    "PL": (r"\d{2}-\d{3}", "like 00-950"),
    "PT": (r"\d{4}-\d{3}", "like 1000-001"),
    "SE": (r"\d{3} ?\d{2}", "like 111 22"),
    "US": (r"\d{5}(?:-\d{4})?", "5 digits (ZIP) or ZIP+4, e.g. 94103"),
}
#: Countries without postcodes: the field is optional there.
NO_POSTCODE = {"AE", "AG", "AO", "BS", "BZ", "CW", "FJ", "GH", "HK", "IE", "JM", "KI", "MO", "QA", "SY", "TV", "UG",
               "ZW"}
#: Countries where a region, when given, must be a valid ISO 3166-2 subdivision.
REGION_CHECKED = {"US", "CA", "AU"}
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{4,40}$")


@lru_cache(maxsize=64)
def _country_choices(allowed: tuple[str, ...], locale: str) -> tuple[tuple[str, str], ...]:
    try:
        names = Locale.parse(locale).territories
    except (UnknownLocaleError, ValueError):
        names = {}
    codes = allowed or tuple(country.alpha_2 for country in pycountry.countries)
    choices = [(code, names.get(code) or getattr(pycountry.countries.get(alpha_2=code), "name", code))
               for code in codes]
    return tuple(sorted(choices, key=lambda choice: _collation_key(choice[1])))


def _collation_key(name: str) -> str:
    """Sort "Österreich" with the O's: accents set aside, case ignored."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def country_choices(allowed: Sequence[str] = (), locale: str = "en") -> list[tuple[str, str]]:
    """``[(code, name)]`` sorted by name in ``locale``: the ``allowed`` ISO
    3166-1 alpha-2 codes, or every country when ``allowed`` is empty."""
    return list(_country_choices(tuple(code.upper() for code in allowed), locale))


@lru_cache(maxsize=64)
def region_choices(countries: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``(ISO 3166-2 code, "Name, Country")`` of the subdivisions of those of
    ``countries`` (every country when empty) whose regions are checked
    (:data:`REGION_CHECKED`), sorted by country then name."""
    wanted = [code for code in (countries or sorted(REGION_CHECKED)) if code in REGION_CHECKED]
    choices = []
    for country in wanted:
        subdivisions = [s for s in pycountry.subdivisions.get(country_code=country) or () if s.parent_code is None]
        choices += sorted(((s.code, f"{s.name}, {country}") for s in subdivisions), key=lambda c: c[1])
    return tuple(choices)


def country_name(code: str, locale: str = "en") -> str:
    """A country's name in ``locale`` (the code itself when unknown)."""
    return dict(_country_choices((code.upper(),), locale)).get(code.upper(), code)


def shipping_refusal(country: Any, ship_to: Sequence[str], locale: str = "en") -> str | None:
    """Why an address in ``country`` cannot be shipped to by a shop that ships
    to ``ship_to`` only (empty: everywhere), or None when it can."""
    if not ship_to or not isinstance(country, str) or country.strip().upper() in {c.upper() for c in ship_to}:
        return None
    where = ", ".join(name for _, name in country_choices(ship_to, locale))
    return f"we do not ship to {country_name(country.strip(), locale)}; we ship to {where}"


def valid_email(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 320 and bool(EMAIL.match(value.strip()))


def _region(country: str, value: str) -> str | None:
    """The ISO 3166-2 code of ``value`` in ``country``, or None."""
    wanted = value.strip().upper()
    code = wanted if wanted.startswith(country + "-") else f"{country}-{wanted}"
    for subdivision in pycountry.subdivisions.get(country_code=country) or ():
        if subdivision.code.upper() == code or subdivision.name.upper() == wanted:
            return subdivision.code
    return None


def normalize_postcode(country: str, value: str) -> str:
    value = " ".join(value.strip().upper().split())
    if country == "GB" and " " not in value and len(value) > 4:
        value = f"{value[:-3]} {value[-3:]}"
    if country == "NL" and len(value) == 6 and " " not in value:
        value = f"{value[:4]} {value[4:]}"
    return value


def validate_address(data: Any, prefix: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(clean address, errors)``; errors are empty when the address is valid."""
    errors: dict[str, str] = {}
    if not isinstance(data, Mapping):
        return {}, {prefix: "must be an address object"}
    clean: dict[str, str] = {}
    for name in ADDRESS_FIELDS:
        value = data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[f"{prefix}.{name}"] = "must be text"
            continue
        value = " ".join(value.split())
        if len(value) > MAX_LENGTH[name]:
            errors[f"{prefix}.{name}"] = f"must be at most {MAX_LENGTH[name]} characters"
        clean[name] = value
    for name in REQUIRED:
        if not clean.get(name) and f"{prefix}.{name}" not in errors:
            errors[f"{prefix}.{name}"] = "is required"
    country = clean.get("country", "").upper()
    if country:
        if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
            errors[f"{prefix}.country"] = "must be an ISO 3166-1 alpha-2 country code, e.g. DE"
            country = ""
        clean["country"] = country
    if country:
        postcode = clean.get("postal_code", "")
        if not postcode:
            if country not in NO_POSTCODE:
                errors[f"{prefix}.postal_code"] = "is required"
        else:
            postcode = normalize_postcode(country, postcode)
            pattern = POSTCODE_PATTERNS.get(country)
            if pattern and not re.fullmatch(pattern[0], postcode):
                errors[f"{prefix}.postal_code"] = f"is not a valid postcode for {country}: {pattern[1]}"
            elif not pattern and not re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{1,11}", postcode):
                errors[f"{prefix}.postal_code"] = "is not a valid postcode"
            clean["postal_code"] = postcode
        region = clean.get("region", "")
        if region:
            code = _region(country, region)
            if code:
                clean["region"] = code
            elif country in REGION_CHECKED:
                errors[f"{prefix}.region"] = f"is not a region of {country} (use its ISO 3166-2 code, e.g. {_example(country)})"
    phone = clean.get("phone", "")
    if phone and not PHONE.match(phone):
        errors[f"{prefix}.phone"] = "must be a phone number (digits, spaces, + ( ) - . /)"
    shaped = {name: clean.get(name) or None for name in ADDRESS_FIELDS}
    shaped.update({name: clean.get(name, "") for name in (*REQUIRED, "postal_code")})
    return shaped, errors


def _example(country: str) -> str:
    return {"US": "CA", "CA": "ON", "AU": "NSW"}.get(country, "")
