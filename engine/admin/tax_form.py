"""The tax rates field of ``/admin/settings``: one rate a line,
``KEY = PERCENT`` — ``DE = 19 %``, ``DE:reduced = 7 %``, ``US-CA = 7.25 %``,
``* = 0 %`` — read into the ``core_tax`` plugin's ``rates`` setting (see
:mod:`engine.pricing.tax` for what the keys mean and the lookup order).

Percentages are read by :mod:`engine.pricing.percent` (``19``, ``19%``, ``19 %``;
``0.19`` without a sign is refused as ambiguous, ``1,5`` for its comma); a
line that cannot be read is reported with its number and nothing is saved.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Mapping

from engine.pricing.percent import RateError, format_percent, parse_percent
from engine.pricing.tax import parse_rates

MAX_LINES = 500


def parse_rate_lines(text: str) -> dict[str, str]:
    """``{key: percent}`` from the textarea; ``ValueError`` with the message
    (naming the line) when a line cannot be read."""
    rates: dict[str, str] = {}
    lines = [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    if len(lines) > MAX_LINES:
        raise ValueError(f"At most {MAX_LINES} rates.")
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        key, sep, rate = line.partition("=")
        key = key.strip().upper().replace(" ", "")
        if not sep or not key:
            raise ValueError(f"Line {number}: write KEY = PERCENT, like DE = 19 %.")
        if key in rates:
            raise ValueError(f"Line {number}: {key} is given twice.")
        try:
            percent = parse_percent(rate)
        except RateError as exc:
            raise ValueError(f"Line {number} ({key}): {exc}") from None
        place, colon, tax_class = key.partition(":")
        key = place + (colon + tax_class.lower() if colon else "")
        try:
            parse_rates({key: str(percent)})
        except ValueError as exc:
            raise ValueError(f"Line {number}: {exc}.") from None
        rates[key] = str(percent)
    return rates


def rate_lines(rates: Mapping[str, Decimal | str]) -> str:
    """The rates as the textarea shows them (``DE = 19 %`` a line, sorted)."""
    return "\n".join(f"{key} = {format_percent(value)}" for key, value in sorted(rates.items()))
