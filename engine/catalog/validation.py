"""Field rules shared by the write services and the importer.

Each ``check_*`` returns the normalised value or raises :class:`InvalidInput`
naming the field. Money amounts are integer minor units; :func:`parse_price`
turns a decimal string in major units (``"19.99"``) into minor units exactly
and refuses more decimals than the currency has.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, NoReturn

from engine.errors import InvalidInput
from engine.catalog.tables import ATTRIBUTE_TYPES, PRODUCT_STATUSES
from engine.money import MAX_AMOUNT, currency_exponent, is_currency

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
WHOLE_NUMBER = re.compile(r"-?\d+")
#: Filter names with a fixed meaning; attribute codes may not use them.
RESERVED_FILTERS = frozenset({"q", "category", "cursor", "sort", "limit", "min_price", "max_price", "in_stock", "page"})


def fail(field: str, message: str) -> NoReturn:
    raise InvalidInput(f"{field}: {message}", {field: message})


def check_slug(value: Any, field: str = "slug") -> str:
    if not isinstance(value, str) or not SLUG.match(value) or len(value) > 200:
        fail(field, "must be lower-case letters, digits and single hyphens (at most 200 characters)")
    return value


def check_text(value: Any, field: str, *, required: bool = False, max_length: int = 300) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        fail(field, "must be text")
    value = value.strip()
    if required and not value:
        fail(field, "is required")
    if len(value) > max_length:
        fail(field, f"must be at most {max_length} characters")
    return value


def check_status(value: Any, field: str = "status", default: str = "draft") -> str:
    if value in (None, ""):
        return default
    if value not in PRODUCT_STATUSES:
        fail(field, f"must be one of {', '.join(PRODUCT_STATUSES)}")
    return value


def check_sku(value: Any, field: str = "sku") -> str:
    if not isinstance(value, str) or not SKU.match(value.strip()):
        fail(field, "must be 1-100 characters: letters, digits, '.', '_', '/', '-' (no spaces)")
    return value.strip()


def check_code(value: Any, field: str = "code") -> str:
    if not isinstance(value, str) or not CODE.match(value):
        fail(field, "must be lower-case letters, digits and underscores, starting with a letter")
    return value


ORIGIN = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")


def check_origin(value: Any, field: str = "origin") -> str:
    """What caused a stock change, carried in its ``stock_changed`` event: a
    plugin name or another short lower-case word (``erp_sync``, ``catalog``)."""
    if not isinstance(value, str) or not ORIGIN.match(value):
        fail(field, "must be 1-64 characters: lower-case letters, digits, '_', '.', ':', '-', a letter first")
    return value


def check_currency(value: Any, shop_currency: str, field: str = "currency") -> str:
    """An ISO 4217 code the shop sells in: its currency (``store.currency``);
    a price in any other could be shown but never bought."""
    code = value.strip().upper() if isinstance(value, str) else None
    if not is_currency(code):
        fail(field, "must be an ISO 4217 currency code, e.g. EUR")
    if code != shop_currency:
        fail(field, f"must be the shop's currency, {shop_currency}")
    return code


def check_int(value: Any, field: str, *, minimum: int = 0, maximum: int = MAX_AMOUNT) -> int:
    if isinstance(value, bool):
        fail(field, "must be a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not WHOLE_NUMBER.fullmatch(text):
            fail(field, "must be a whole number")
        value = int(text)
    if not isinstance(value, int):
        fail(field, "must be a whole number")
    if value < minimum or value > maximum:
        fail(field, f"must be between {minimum} and {maximum}")
    return value


def parse_price(value: Any, currency: str, field: str = "price") -> int:
    """A price in major units (``"19.99"``, ``19``) to integer minor units."""
    if isinstance(value, bool) or isinstance(value, float):
        fail(field, "must be a decimal string such as \"19.99\" (never a float)")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        fail(field, "must be a decimal number such as 19.99")
    if not amount.is_finite() or amount < 0:
        fail(field, "must be zero or more")
    exponent = currency_exponent(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        fail(field, f"has more than {exponent} decimal places for {currency}")
    if minor > MAX_AMOUNT:
        fail(field, "is too large")
    return int(minor)


def format_price(amount: int, currency: str) -> str:
    """Minor units back to the major-unit decimal string :func:`parse_price` reads."""
    exponent = currency_exponent(currency)
    return str(Decimal(amount).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent)))


def check_options(value: Any, field: str = "options") -> dict[str, str]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            fail(field, "must be a JSON object")
    if not isinstance(value, Mapping):
        fail(field, "must be an object of option name to value")
    options = {}
    for name, option in value.items():
        name = str(name).strip().lower()
        if not name or len(name) > 100:
            fail(field, "option names must be 1-100 characters")
        if option in (None, ""):
            continue
        if not isinstance(option, (str, int)) or isinstance(option, bool):
            fail(f"{field}.{name}", "must be text")
        option = str(option).strip()
        if len(option) > 200:
            fail(f"{field}.{name}", "must be at most 200 characters")
        options[name] = option
    return options


def check_attribute_type(value: Any, field: str = "type") -> str:
    if value not in ATTRIBUTE_TYPES:
        fail(field, f"must be one of {', '.join(ATTRIBUTE_TYPES)}")
    return value


_TRUE = {"true", "yes", "1", "y", "on"}
_FALSE = {"false", "no", "0", "n", "off"}


def canonical_attribute_value(attribute: Mapping[str, Any], value: Any, field: str) -> str:
    """The stored text form of ``value`` for an attribute definition
    (``{"type", "choices"}``): numbers as plain decimals, booleans
    ``true``/``false``, choices exactly as defined."""
    kind = attribute["type"]
    if kind == "boolean":
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value).strip().lower()
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
        fail(field, "must be true or false")
    if kind == "number":
        if isinstance(value, bool):
            fail(field, "must be a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            fail(field, "must be a number")
        if not number.is_finite():
            fail(field, "must be a number")
        text = format(number.normalize(), "f")
        return text
    if isinstance(value, (dict, list)) or value is None:
        fail(field, "must be text")
    text = str(value).strip()
    if not text:
        fail(field, "must not be empty")
    if len(text) > 500:
        fail(field, "must be at most 500 characters")
    if kind == "choice":
        choices = attribute.get("choices") or []
        if isinstance(choices, str):
            choices = json.loads(choices or "[]")
        if text not in choices:
            fail(field, f"must be one of {', '.join(map(str, choices))}")
    return text


def typed_attribute_value(kind: str, text: str) -> Any:
    """The JSON value of a stored attribute value."""
    if kind == "boolean":
        return text == "true"
    if kind == "number":
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)
    return text
