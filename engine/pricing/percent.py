"""Reading percentages typed by staff (tax rates, promotion discounts):
``19``, ``19%``, ``19 %``, ``7.5 %`` are all 19 or 7.5 percent, returned as
the :class:`~decimal.Decimal` percent (never a float).

Refused with a message, never rescaled:

- a comma (``1,5``: is it one and a half, or a thousands separator?);
- a fraction written without the sign (``0.19``: did they mean 19 % or
  0.19 %?) — a number between 0 and 1 must carry ``%`` to count as percent;
- more than 4 decimals, signs, exponents, anything but a number, and values
  outside 0–100.
"""
from __future__ import annotations

import re
from decimal import Decimal

_PERCENT = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,4})?)\s*(%?)")
MAX_DECIMALS = 4


class RateError(ValueError):
    """The text is not a percentage; ``str()`` is the message shown at the field."""


def parse_percent(text: str, allow_zero: bool = True) -> Decimal:
    """``text`` as a percent (``"19 %"`` → ``Decimal("19")``); raises :class:`RateError`."""
    raw = (text or "").strip()
    if not raw:
        raise RateError("Enter a percentage, like 19 %.")
    if "," in raw:
        raise RateError("Write the percentage with a point for decimals, like 7.5 %.")
    match = _PERCENT.fullmatch(raw)
    if not match:
        raise RateError(f"Enter a percentage from 0 to 100 with at most {MAX_DECIMALS} decimals, like 19 %.")
    percent = Decimal(match.group(1))
    if Decimal(0) < percent < Decimal(1) and not match.group(2):
        scaled = format_percent(percent * 100)
        raise RateError(f"Is {raw} meant as {scaled} or as {raw} %? Write the percent sign: {scaled} or {raw} %.")
    if percent > 100:
        raise RateError("A percentage is at most 100 %.")
    if percent == 0 and not allow_zero:
        raise RateError("The percentage must be more than 0 %.")
    return percent


def format_percent(percent: Decimal | str | int) -> str:
    """The text :func:`parse_percent` reads back (``Decimal("7.50")`` → ``"7.5 %"``)."""
    value = Decimal(str(percent))
    text = f"{value.normalize():f}" if value != value.to_integral_value() else str(int(value))
    return f"{text} %"
