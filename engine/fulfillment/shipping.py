"""Shipping quotes from every active provider (``fulfillment_shipping_providers`` call site)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from engine.fulfillment.quotes import MAX_DATA_BYTES, valid_data
from engine.plugins import HookError
from engine.protocols import ShippingQuote, ShippingQuoteRequest, ShippingRateProvider


@dataclass
class QuoteResult:
    quotes: list[ShippingQuote] = field(default_factory=list)
    #: provider id (or plugin name) -> why it offered nothing (timeout, error, bad answer)
    dropped: dict[str, str] = field(default_factory=dict)


def _providers(plugin: str, items: Any) -> list[ShippingRateProvider]:
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"returned {items!r}, not a list of ShippingRateProvider")
    for provider in items:
        if not isinstance(provider, ShippingRateProvider):
            raise TypeError(f"{provider!r} does not implement ShippingRateProvider")
    return list(items)


def _quotes(plugin: str, answer: Any) -> list[ShippingQuote]:
    if not isinstance(answer, list) or not all(isinstance(q, ShippingQuote) for q in answer):
        raise TypeError("did not return a list of ShippingQuote")
    for quote in answer:
        if not valid_data(quote):
            raise TypeError(f"quote {quote.id!r}: data must be a JSON-safe mapping of at most {MAX_DATA_BYTES} bytes")
        if quote.expires_at is not None and quote.expires_at.tzinfo is None:
            raise TypeError(f"quote {quote.id!r}: expires_at must be timezone-aware")
    return answer


def provider_deadline(provider: ShippingRateProvider) -> float | None:
    """The provider's own ``deadline_seconds`` when it is a positive number
    (the host applies the shorter of it and the global deadline)."""
    wanted = getattr(provider, "deadline_seconds", None)
    if isinstance(wanted, (int, float)) and not isinstance(wanted, bool) and wanted > 0:
        return float(wanted)
    return None


async def shipping_providers(runtime) -> tuple[list[tuple[str, ShippingRateProvider]], dict[str, str]]:
    """``([(plugin, provider), ...], {plugin: why it offers none})``: the
    providers in hook order, and the plugins left out because they failed."""
    answers = await runtime.host.hook("fulfillment_shipping_providers", accept=_providers)
    providers = [(plugin, provider) for plugin, items in answers for provider in items]
    return providers, {error.plugin: error.reason for error in answers.skipped}


async def shipping_quotes(runtime, request: ShippingQuoteRequest) -> QuoteResult:
    """Ask every provider concurrently, each under ``plugins.hook_deadline_seconds``
    or its own shorter ``deadline_seconds`` (:meth:`engine.plugins.PluginHost.call_provider`). A provider that misses the
    deadline, raises or returns something other than quotes is dropped (logged,
    recorded for staff, reported in ``dropped``); the others still show.
    Quotes keep provider hook order, then the provider's own order."""
    host = runtime.host
    providers, failed = await shipping_providers(runtime)
    answers = await asyncio.gather(*(host.call_provider("fulfillment_shipping_providers", plugin, provider.quotes,
                                                        request, deadline=provider_deadline(provider),
                                                        accept=_quotes)
                                     for plugin, provider in providers), return_exceptions=True)
    result = QuoteResult(dropped=dict(failed))
    seen: set[str] = set()
    for (plugin, provider), answer in zip(providers, answers):
        if isinstance(answer, HookError):
            result.dropped[provider.id] = answer.reason
            continue
        if isinstance(answer, BaseException):
            raise answer
        for quote in answer:
            if quote.id in seen:
                result.dropped[provider.id] = f"duplicate quote id {quote.id!r}"
                continue
            seen.add(quote.id)
            result.quotes.append(quote)
    return result
