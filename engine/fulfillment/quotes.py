"""Shipping quotes kept with the checkout.

The quotes a cart was offered are stored with the cart (as JSON, by the cart
domain) together with a key of what they were quoted for: the cart's lines,
amounts and weight and the destination's country, region and postcode. While
a stored quote has not expired and the key still matches, placing the order
uses it as it is; the providers are not asked again. Anything else (another
address, a changed cart, an expired quote) asks the providers afresh.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Iterable

from engine.money import Money
from engine.protocols import ShippingQuote, ShippingQuoteRequest

#: the most bytes of JSON a quote's provider ``data`` may take
MAX_DATA_BYTES = 4096


def request_key(request: ShippingQuoteRequest) -> str:
    """A digest of everything a quote depends on (not the street or name)."""
    canonical = json.dumps({
        "currency": request.currency, "subtotal": request.subtotal.amount, "goods": request.goods_total.amount,
        "weight": request.weight_grams, "lines": [[l.sku, l.quantity, l.unit_price.amount, l.weight_grams]
                                                  for l in request.lines],
        "to": [(request.country or "").upper(), (request.region or "").upper(),
               (request.postal_code or "").upper().replace(" ", "")],
    }, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def valid_data(quote: ShippingQuote) -> bool:
    """True when the quote's ``data`` is a JSON-safe mapping of at most 4 KB."""
    if quote.data is None:
        return True
    try:
        return len(json.dumps(dict(quote.data)).encode()) <= MAX_DATA_BYTES
    except (TypeError, ValueError):
        return False


def with_expiry(quotes: Iterable[ShippingQuote], now: datetime, ttl_seconds: int) -> list[ShippingQuote]:
    """The quotes, each with an ``expires_at`` (``now + ttl_seconds`` where the provider set none)."""
    default_expiry = now + timedelta(seconds=ttl_seconds)
    return [q if q.expires_at else replace(q, expires_at=default_expiry) for q in quotes]


def dump(quotes: Iterable[ShippingQuote], request: ShippingQuoteRequest, now: datetime, ttl_seconds: int) -> str:
    """The JSON the cart keeps: the quotes, each with its expiry, and the request key."""
    default_expiry = now + timedelta(seconds=ttl_seconds)
    return json.dumps({"key": request_key(request), "quotes": [{
        "id": q.id, "label": q.label, "amount": q.price.amount, "currency": q.price.currency,
        "provider": q.provider, "estimated_days": list(q.estimated_days) if q.estimated_days else None,
        "expires_at": (q.expires_at or default_expiry).isoformat(), "data": dict(q.data) if q.data else None,
        "tax_class": q.tax_class,
    } for q in quotes]})


def kept(stored: str | None, request: ShippingQuoteRequest, quote_id: str, now: datetime) -> ShippingQuote | None:
    """The stored quote ``quote_id`` when it was quoted for this ``request``
    and has not expired at ``now``; None otherwise (ask the providers)."""
    try:
        saved = json.loads(stored or "{}")
    except ValueError:
        return None
    if not isinstance(saved, dict) or saved.get("key") != request_key(request):
        return None
    for item in saved.get("quotes") or ():
        if item.get("id") != quote_id:
            continue
        expires = datetime.fromisoformat(item["expires_at"])
        if expires <= now:
            return None
        days = item.get("estimated_days")
        return ShippingQuote(item["id"], item["label"], Money(int(item["amount"]), item["currency"]),
                             item["provider"], tuple(days) if days else None, expires, item.get("data"),
                             item.get("tax_class"))
    return None


def quote_json(quote: ShippingQuote) -> dict[str, Any]:
    """A quote as the API shows it (``data`` stays on the server)."""
    return {"id": quote.id, "label": quote.label, "price": quote.price.to_json(), "provider": quote.provider,
            "estimated_days": list(quote.estimated_days) if quote.estimated_days else None,
            "expires_at": quote.expires_at.isoformat() if quote.expires_at else None}
