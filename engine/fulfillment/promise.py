"""The shop's shipping promise for storefront text ("free delivery over €50"),
computed from the active shipping providers, never from theme settings.

A :class:`engine.protocols.ShippingRateProvider` may offer
``async def free_shipping_from(currency) -> Money | None``: the goods total
(after discounts) from which it ships free, None when it never does. The
promise is the lowest such threshold among the providers: from that total
the shopper has a free method. Providers are asked as for quotes (each under
its deadline; one that fails or answers something else promises nothing).
Uncached here: the storefront caches it under the change counters of plugin
settings and site (:func:`engine.storefront.rendering.shipping_free_over`).
"""
from __future__ import annotations

import asyncio
from typing import Any

from engine.fulfillment.shipping import provider_deadline, shipping_providers
from engine.money import Money
from engine.plugins import HookError


def _threshold(currency: str):
    def accept(plugin: str, answer: Any) -> Money | None:
        if answer is not None and not (isinstance(answer, Money) and answer.currency == currency):
            raise TypeError(f"free_shipping_from returned {answer!r}, not Money in {currency} or None")
        return answer
    return accept


async def free_shipping_from(runtime, currency: str) -> Money | None:
    """The lowest goods total from which some active provider ships free in
    ``currency`` (None: no free shipping to promise)."""
    providers, _ = await shipping_providers(runtime)
    asked = [(plugin, provider) for plugin, provider in providers
             if callable(getattr(provider, "free_shipping_from", None))]
    answers = await asyncio.gather(*(runtime.host.call_provider(
        "fulfillment_shipping_providers", plugin, provider.free_shipping_from, currency,
        deadline=provider_deadline(provider), accept=_threshold(currency)) for plugin, provider in asked),
        return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, HookError):
            raise answer
    offers = [answer for answer in answers if isinstance(answer, Money)]
    return min(offers, key=lambda money: money.amount) if offers else None
