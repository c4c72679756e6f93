"""Shipping quotes from every active provider (``fulfillment_shipping_providers`` call site)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Mapping

import structlog

from engine.plugins import HookError
from engine.protocols import ShippingQuote, ShippingRateProvider

log = structlog.get_logger("shopwright.shipping")


@dataclass
class QuoteResult:
    quotes: list[ShippingQuote] = field(default_factory=list)
    #: provider id -> why it offered nothing (timeout, error, bad answer)
    dropped: dict[str, str] = field(default_factory=dict)


async def shipping_providers(runtime) -> list[tuple[str, ShippingRateProvider]]:
    providers = []
    for plugin, items in await runtime.host.call_each("fulfillment_shipping_providers"):
        for provider in items:
            if not isinstance(provider, ShippingRateProvider):
                raise HookError(plugin, "fulfillment_shipping_providers", f"{provider!r} does not implement ShippingRateProvider")
            providers.append((plugin, provider))
    return providers


async def shipping_quotes(runtime, checkout: Mapping[str, Any]) -> QuoteResult:
    """Ask every provider concurrently, each under ``plugins.hook_deadline_seconds``.
    A provider that misses the deadline, raises or returns something other than
    quotes is dropped (logged, reported in ``dropped``); the others still show.
    Quotes keep provider hook order, then the provider's own order."""
    deadline = runtime.settings.plugins.hook_deadline_seconds
    providers = await shipping_providers(runtime)

    async def ask(provider: ShippingRateProvider):
        return await asyncio.wait_for(provider.quotes(checkout), deadline)

    answers = await asyncio.gather(*(ask(p) for _, p in providers), return_exceptions=True)
    result = QuoteResult()
    seen: set[str] = set()
    for (plugin, provider), answer in zip(providers, answers):
        if isinstance(answer, BaseException):
            reason = f"missed its {deadline}s deadline" if isinstance(answer, asyncio.TimeoutError) else f"{type(answer).__name__}: {answer}"
            log.warning("shipping.provider_dropped", plugin=plugin, provider=provider.id, reason=reason)
            result.dropped[provider.id] = reason
            continue
        if not isinstance(answer, list) or not all(isinstance(q, ShippingQuote) for q in answer):
            result.dropped[provider.id] = "did not return a list of ShippingQuote"
            log.warning("shipping.provider_dropped", plugin=plugin, provider=provider.id, reason="bad answer")
            continue
        for quote in answer:
            if quote.id in seen:
                result.dropped[provider.id] = f"duplicate quote id {quote.id!r}"
                continue
            seen.add(quote.id)
            result.quotes.append(quote)
    return result
