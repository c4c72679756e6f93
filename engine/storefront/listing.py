"""Category and search listings: query string ↔ :class:`SearchQuery`.

The filter form is a plain GET form: ``?<attribute code>=<value>`` (repeatable),
``min_price``/``max_price`` in major units of the store currency (``12.50``),
``sort`` and the keyset ``cursor``. Values that do not parse are ignored and
reported back to the template, never an error page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from engine.money import currency_exponent
from engine.protocols import SearchQuery

SORTS = {
    "relevance": "Featured",
    "newest": "Newest",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "name_asc": "Name: A to Z",
}
PAGE_SIZE = 24
MAX_TEXT = 200


@dataclass
class Listing:
    query: SearchQuery
    selected: dict[str, list[str]] = field(default_factory=dict)
    min_price: str = ""
    max_price: str = ""
    problems: list[str] = field(default_factory=list)


def to_minor(text: str, currency: str) -> int | None:
    """``"12.5"`` → 1250 for EUR; None when not a non-negative amount."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        return None
    if not value.is_finite() or value < 0 or value > Decimal(10) ** 12:
        return None
    return int(value.scaleb(currency_exponent(currency)).to_integral_value())


def facet_codes(facets: dict[str, Any] | None) -> dict[str, set[str]]:
    """Filter key → the values the facets offer: attribute codes and variant
    option names (the keys the filter form may send)."""
    codes: dict[str, set[str]] = {}
    for facet in (facets or {}).get("attributes") or []:
        codes[str(facet["code"])] = {str(v["value"]) for v in facet.get("values") or []}
    for facet in (facets or {}).get("options") or []:
        codes.setdefault(str(facet["name"]), set()).update(str(v["value"]) for v in facet.get("values") or [])
    return codes


def parse(args, facets: dict[str, Any] | None, currency: str, text: str = "",
          category: str | None = None) -> Listing:
    filters: dict[str, Any] = {}
    selected: dict[str, list[str]] = {}
    for code, allowed in facet_codes(facets).items():
        values = [v for v in args.getlist(code) if v in allowed]
        if values:
            filters[code] = values
            selected[code] = values
    problems = []
    bounds = {}
    for key in ("min_price", "max_price"):
        raw = (args.get(key) or "").strip()
        if raw:
            minor = to_minor(raw, currency)
            if minor is None:
                problems.append(f"{'Minimum' if key == 'min_price' else 'Maximum'} price must be a positive amount.")
            else:
                filters[key] = minor
                bounds[key] = raw
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        problems.append("Unknown sort order; showing the default order.")
        sort = "relevance"
    cursor = (args.get("cursor") or "")[:500] or None
    query = SearchQuery(text=text[:MAX_TEXT], category=category, filters=filters, sort=sort, cursor=cursor,
                        limit=PAGE_SIZE)
    return Listing(query, selected, bounds.get("min_price", ""), bounds.get("max_price", ""), problems)


def page_url(path: str, args, **changes: Any) -> str:
    """``path`` with the current query string, ``changes`` applied (None removes a key)."""
    pairs = [(k, v) for k in args for v in args.getlist(k) if k not in changes and k != "cursor"]
    for key, value in changes.items():
        if value is not None:
            pairs.append((key, value))
    query = urlencode(pairs)
    return f"{path}?{query}" if query else path
