"""Carrier status webhooks: finding the plugin's tracking providers and
verifying a webhook with them (``fulfillment_tracking_providers`` call site).
Applying the verified updates is the orders domain's
(:func:`engine.orders.shipments.apply_tracking`)."""
from __future__ import annotations

import asyncio
from typing import Any, Mapping

import structlog

from engine.errors import ShopError
from engine.protocols import TRACKING_STATUSES, TrackingProvider, TrackingUpdate

log = structlog.get_logger("shopwright.fulfillment")

#: the most updates one webhook may carry
MAX_UPDATES = 100


class BadTrackingSignature(ShopError):
    status = 400
    title = "Webhook not verified"


def _providers(plugin: str, items: Any) -> list[TrackingProvider]:
    if not isinstance(items, (list, tuple)) or not all(isinstance(p, TrackingProvider) for p in items):
        raise TypeError(f"returned {items!r}, not a list of TrackingProvider")
    return list(items)


def _updates(plugin: str, answer: Any) -> list[TrackingUpdate]:
    """``answer`` when it is a list of valid updates (TypeError otherwise:
    a TypeError is not a ValueError, so it is the plugin's fault, a 502)."""
    if not isinstance(answer, list) or len(answer) > MAX_UPDATES:
        raise TypeError(f"verify_tracking returned {type(answer).__name__}, not a list of at most {MAX_UPDATES} "
                        f"TrackingUpdate")
    for update in answer:
        if not isinstance(update, TrackingUpdate) or update.status not in TRACKING_STATUSES \
                or not isinstance(update.tracking_number, str) or not 0 < len(update.tracking_number) <= 200 \
                or not isinstance(update.event_id, str) or not update.event_id:
            raise TypeError(f"{update!r} is not a TrackingUpdate with an event id, a tracking number and a status "
                            f"in {TRACKING_STATUSES}")
    return answer


async def providers_of(runtime, plugin: str) -> list[TrackingProvider]:
    """The tracking providers ``plugin`` offers (empty: it takes no carrier webhooks)."""
    answers = await runtime.host.hook("fulfillment_tracking_providers", accept=_providers)
    return [provider for name, items in answers if name == plugin for provider in items]


async def verify(runtime, plugin: str, providers: list[TrackingProvider], body: bytes,
                 headers: Mapping[str, str]) -> list[TrackingUpdate]:
    """The updates of the first of ``providers`` that verifies the webhook;
    :class:`BadTrackingSignature` (400) when none does, a 502 when the
    plugin fails, is too slow or answers something else.

    Called directly (like a payment gateway's ``verify_webhook``), not
    through the plugin host's failure record: forged webhooks must not open
    the plugin's circuit breaker and shut out the genuine ones."""
    reasons = []
    deadline = runtime.settings.plugins.hook_deadline_seconds
    for provider in providers:
        try:
            async with asyncio.timeout(deadline):
                answer = await provider.verify_tracking(body, headers)
            return _updates(plugin, answer)
        except ValueError as exc:
            reasons.append(f"{provider.id}: {exc}")
        except Exception as exc:
            log.error("tracking.plugin_failed", plugin=plugin, provider=provider.id, error=repr(exc))
            raise ShopError(f"Plugin {plugin!r} could not read the webhook ({type(exc).__name__}).", status=502,
                            title="Plugin error") from exc
    raise BadTrackingSignature(f"The webhook could not be verified ({'; '.join(reasons)}); nothing was changed.")
