"""Reading money typed by staff: decimal major units of a currency
(``12.50`` euros, ``1200`` yen, ``1.250`` dinars), turned into integer minor
units exactly with :class:`~decimal.Decimal` and the currency's exponent.

Accepted: digits, optionally one point and at most as many decimals as the
currency has (``12``, ``12.5``, ``12.50``). Refused with a message, never
rescaled: a comma (``1,50`` and ``1,250`` mean different things in different
countries), more decimals than the currency has, signs, exponents, spaces
inside, anything that is not a number, zero (unless allowed), more than
:data:`engine.money.MAX_AMOUNT`.
"""
from __future__ import annotations

import re
from decimal import Decimal

from engine.money import MAX_AMOUNT, currency_exponent

_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class AmountError(ValueError):
    """The text is not an amount of the currency; ``str()`` is the message
    shown at the field."""


def _example(currency: str) -> str:
    exponent = currency_exponent(currency)
    return "12" if exponent == 0 else "12." + "5".ljust(exponent, "0")


def parse_amount(text: str, currency: str, allow_zero: bool = False) -> int:
    """``text`` in major units of ``currency`` as minor units (``"12.50"``,
    ``"EUR"`` → ``1250``; ``allow_zero``: ``"0"`` is 0, e.g. a free shipping
    price). Raises :class:`AmountError` with the reason."""
    raw = (text or "").strip()
    exponent = currency_exponent(currency)
    if not raw:
        raise AmountError(f"Enter an amount in {currency}, like {_example(currency)}.")
    if "," in raw:
        raise AmountError(f"Write the amount with a point for the decimals and no thousands separator, "
                          f"like {_example(currency)}.")
    if not _AMOUNT.fullmatch(raw):
        raise AmountError(f"Enter an amount in {currency}, like {_example(currency)}.")
    decimals = raw.partition(".")[2]
    if len(decimals) > exponent:
        if exponent == 0:
            raise AmountError(f"{currency} has no decimals: enter a whole number, like {_example(currency)}.")
        raise AmountError(f"{currency} has {exponent} decimals; {raw} has {len(decimals)}.")
    minor = int(Decimal(raw).scaleb(exponent))
    if minor > MAX_AMOUNT:
        raise AmountError(f"The amount is too large (at most {format_major(MAX_AMOUNT, currency)} {currency}).")
    if minor < (0 if allow_zero else 1):
        raise AmountError("The amount must be more than zero.")
    return minor


def format_major(minor: int, currency: str) -> str:
    """Minor units as the text :func:`parse_amount` reads back (``1250`` → ``"12.50"``)."""
    exponent = currency_exponent(currency)
    return str((Decimal(int(minor)) / (Decimal(10) ** exponent)).quantize(Decimal(1).scaleb(-exponent)))
