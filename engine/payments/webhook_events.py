"""Incoming provider webhooks: verifying one and applying its outcome once.

The body goes, untouched, to ``verify_webhook(body, headers)`` of each
gateway the plugin offers (in order) until one accepts it; a signature that
no gateway accepts (``ValueError``) is :class:`BadSignature` and nothing
changes. The verified :class:`engine.protocols.WebhookOutcome` is then applied
in one transaction together with the record of its ``event_id`` (unique per
plugin), so a redelivered event changes nothing and answers ``duplicate``.

What each outcome does is :mod:`engine.payments.reports`'s.

An event for an unknown reference is ``ignored`` and not remembered, so a
later redelivery (once the reference is known) still applies.
"""
from __future__ import annotations

from typing import Any

import structlog

from engine.db.sql import fetchone
from engine.errors import NotFound, ShopError
from engine.payments import records, settlement
from engine.payments.gateways import available_gateways
from engine.protocols import WebhookOutcome

log = structlog.get_logger("shopwright.webhooks")


class BadSignature(ShopError):
    status = 400
    title = "Webhook not verified"


async def verify(runtime, plugin: str, body: bytes, headers: dict[str, str]) -> WebhookOutcome:
    gateways = [entry for entry in await available_gateways(runtime) if entry.plugin == plugin]
    if not gateways:
        raise NotFound(f"No active payment plugin named {plugin!r} takes webhooks.")
    reasons = []
    for entry in gateways:
        try:
            outcome = await entry.gateway.verify_webhook(body, headers)
        except ValueError as exc:
            reasons.append(f"{entry.id}: {exc}")
            continue
        if not isinstance(outcome, WebhookOutcome) or not outcome.event_id:
            raise ShopError(f"Plugin {plugin!r} returned {outcome!r}, not a WebhookOutcome with an event_id.",
                            status=502, title="Plugin error")
        return outcome
    raise BadSignature(f"The webhook could not be verified ({'; '.join(reasons)}); nothing was changed.")


async def apply(runtime, plugin: str, outcome: WebhookOutcome) -> dict[str, Any]:
    """Apply a verified outcome once; returns ``{"status": applied|duplicate|ignored, ...}``.

    Serialised per order with the shopper's return and the other webhooks
    (:func:`engine.payments.settlement.apply_locked`); a redelivered event id
    is ``duplicate``, and a report of a movement already in the ledger
    (matched by provider id or the shop's idempotency key) changes nothing."""
    payment = await records.by_reference(plugin, outcome.reference) if outcome.reference else None
    if payment is None:
        seen = await fetchone("SELECT id FROM payment_events WHERE plugin = {} AND event_id = {}", plugin,
                              outcome.event_id)
        if seen:
            return {"status": "duplicate", "event_id": outcome.event_id}
        log.warning("webhook.unknown_reference", plugin=plugin, event_id=outcome.event_id, reference=outcome.reference)
        return {"status": "ignored", "event_id": outcome.event_id, "reason": "unknown payment reference"}
    result = await settlement.apply_locked(runtime, payment, outcome, f"webhook:{plugin}", claim_event=outcome.event_id)
    order = await fetchone("SELECT number FROM orders WHERE id = {}", payment["order_id"])
    status = "duplicate" if result == "duplicate" else "applied"
    return {"status": status, "event_id": outcome.event_id, "order": order["number"], "result": result}
