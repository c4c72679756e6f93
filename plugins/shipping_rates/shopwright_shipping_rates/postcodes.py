"""Postcode patterns of a shipping zone: ``18565`` (one postcode), ``1*``
(every postcode starting with ``1``) and ``25845-25849`` (a numeric range,
both ends included).

Postcodes and patterns are compared normalised: upper case, without spaces
or hyphens inside a postcode (``"sw1a 1aa"`` is ``SW1A1AA``). A range matches
an all-digit postcode with as many digits as its ends. Each match has a
:meth:`PostcodePattern.specificity`; the zone whose best match is the most
specific wins over broader ones for the same country (see
:mod:`shopwright_shipping_rates.rates`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: what a single postcode or a wildcard prefix may contain (after normalising)
_POSTCODE = re.compile(r"^[A-Z0-9]{1,12}$")
_RANGE = re.compile(r"^(\d{1,12})-(\d{1,12})$")


def normalise(postcode: str) -> str:
    """``postcode`` upper case, with spaces and hyphens removed."""
    return re.sub(r"[\s-]+", "", postcode).upper()


@dataclass(frozen=True)
class PostcodePattern:
    """One parsed pattern; :func:`parse` makes them, ``str()`` gives the text back."""

    kind: str  # "exact" | "prefix" | "range"
    value: str = ""  # exact: the postcode; prefix: the prefix
    low: str = ""  # range: both ends, digits of one length
    high: str = ""

    def __str__(self) -> str:
        if self.kind == "range":
            return f"{self.low}-{self.high}"
        return self.value + ("*" if self.kind == "prefix" else "")

    def matches(self, postcode: str) -> bool:
        """Whether normalised ``postcode`` is one this pattern covers."""
        if self.kind == "exact":
            return postcode == self.value
        if self.kind == "prefix":
            return postcode.startswith(self.value)
        return len(postcode) == len(self.low) and postcode.isdigit() and self.low <= postcode <= self.high

    def specificity(self) -> tuple[int, int]:
        """Larger is more specific: an exact postcode beats any range, a range
        any wildcard, and a zone with postcodes one without (``(0, 0)``).
        Among ranges the narrower wins, among wildcards the longer prefix."""
        if self.kind == "exact":
            return (3, 0)
        if self.kind == "range":
            return (2, -(int(self.high) - int(self.low)))
        return (1, len(self.value))


#: the specificity of a zone without postcodes (the whole country)
COUNTRY_WIDE = (0, 0)


def parse(text: str) -> PostcodePattern:
    """One pattern from its text; ``ValueError`` saying what is wrong."""
    raw = text.strip().upper()
    match = _RANGE.match(raw)
    if match:
        low, high = match.groups()
        if len(low) != len(high):
            raise ValueError(f"postcode range {text!r}: both ends need the same number of digits")
        if low > high:
            raise ValueError(f"postcode range {text!r}: the first end is above the second")
        return PostcodePattern("range", low=low, high=high)
    if raw.endswith("*"):
        prefix = raw[:-1]
        if not _POSTCODE.match(prefix):
            raise ValueError(f"postcode pattern {text!r}: a wildcard is letters or digits followed by one '*'")
        return PostcodePattern("prefix", value=prefix)
    if not _POSTCODE.match(raw):
        raise ValueError(f"postcode pattern {text!r}: use a postcode (18565), a prefix with '*' (1*) "
                         "or a numeric range (25845-25849)")
    return PostcodePattern("exact", value=raw)


def parse_all(text: str) -> tuple[PostcodePattern, ...]:
    """The space-separated patterns of ``text`` (none when empty), duplicates dropped."""
    patterns: dict[str, PostcodePattern] = {}
    for part in text.split():
        pattern = parse(part)
        patterns.setdefault(str(pattern), pattern)
    return tuple(patterns.values())
