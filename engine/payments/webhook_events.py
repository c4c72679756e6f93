"""Incoming provider webhooks: verifying one and applying its outcome once.

The body goes, untouched, to ``verify_webhook(body, headers)`` of each
gateway the plugin offers (in order) until one accepts it; a signature that
no gateway accepts (``ValueError``) is :class:`BadSignature` and nothing
changes. The verified :class:`engine.protocols.WebhookOutcome` is then applied
in one transaction together with the record of its ``event_id`` (unique per
plugin), so a redelivered event changes nothing and answers ``duplicate``.

Outcomes, for the payment whose ``reference`` matches:

- ``paid``: the order is marked paid (reservations become deductions);
- ``authorized``: the payment is authorized (capture later from the admin);
- ``failed``: the payment failed (the order keeps waiting; its reservation
  expires as usual);
- ``refunded``: a refund made at the provider (``amount``, default all) is recorded;
- ``cancelled``: an order still awaiting payment is cancelled.

An event for an unknown reference is ``ignored`` and not remembered, so a
later redelivery (once the reference is known) still applies.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import structlog

from engine.db.sql import fetch, fetchone
from engine.errors import InvalidInput, NotFound, ShopError
from engine.orders.actions import REFUNDABLE
from engine.orders.transitions import PAID_STATES, record
from engine.payments import actions, records
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
    """Apply a verified outcome once; returns ``{"status": applied|duplicate|ignored, ...}``."""
    actor = f"webhook:{plugin}"
    payment = await records.by_reference(plugin, outcome.reference) if outcome.reference else None
    if payment is None:
        seen = await fetchone("SELECT id FROM payment_events WHERE plugin = {} AND event_id = {}", plugin,
                              outcome.event_id)
        if seen:
            return {"status": "duplicate", "event_id": outcome.event_id}
        log.warning("webhook.unknown_reference", plugin=plugin, event_id=outcome.event_id, reference=outcome.reference)
        return {"status": "ignored", "event_id": outcome.event_id, "reason": "unknown payment reference"}
    async with runtime.database.transaction():
        claimed = await fetch(
            "INSERT INTO payment_events (plugin, event_id, payment, status, outcome, received_at) "
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (plugin, event_id) DO NOTHING RETURNING id",
            plugin, outcome.event_id, payment["id"], outcome.status,
            json.dumps({"reference": outcome.reference, "status": outcome.status,
                        "amount": outcome.amount.to_json() if outcome.amount else None}),
            datetime.now(timezone.utc))
        if not claimed:
            return {"status": "duplicate", "event_id": outcome.event_id}
        order = await fetchone("SELECT * FROM orders WHERE id = {}", payment["order_id"])
        await _apply_status(order, payment, outcome, actor)
    runtime.events_committed()
    return {"status": "applied", "event_id": outcome.event_id, "order": order["number"]}


async def _apply_status(order: dict[str, Any], payment: dict[str, Any], outcome: WebhookOutcome, actor: str) -> None:
    status = outcome.status
    amount = outcome.amount.amount if outcome.amount is not None else None
    if outcome.amount is not None and outcome.amount.currency != order["currency"]:
        raise InvalidInput(f"The webhook's amount is in {outcome.amount.currency}; the order is in "
                           f"{order['currency']}.", {"amount": "currency mismatch"})
    if status == "paid":
        if order["status"] == "cancelled":
            await records.update(payment["id"], status="paid", captured_amount=amount or payment["amount"])
            await record(order["id"], "note", actor, "Payment received after the order was cancelled: refund it "
                         "at the provider or contact the customer.", data={"amount": amount})
            return
        await actions.mark_paid_in_tx(order, actor, f"Payment confirmed by {actor}.", amount,
                                      outcome.reference)
    elif status == "authorized":
        if payment["status"] == "pending":
            await records.update(payment["id"], status="authorized")
            await record(order["id"], "payment", actor, "Payment authorized; capture it to take the money.")
    elif status == "failed":
        if payment["status"] in ("pending", "authorized"):
            await records.update(payment["id"], status="failed", error="declined or failed at the provider")
            await record(order["id"], "payment", actor, "Payment failed at the provider.")
    elif status == "refunded":
        if order["status"] in REFUNDABLE:
            left = order["paid_amount"] - order["refunded_amount"]
            await actions.refund_in_tx(order, min(amount or left, left), actor, f"Refund reported by {actor}.")
    elif status == "cancelled":
        if order["status"] == "pending_payment":
            await actions.cancel_pending_in_tx(order, actor, f"Payment cancelled at the provider ({actor}).")
        elif order["status"] in PAID_STATES:
            await record(order["id"], "note", actor, "The provider reports the payment cancelled.")
    else:
        await record(order["id"], "note", actor, f"Webhook event {outcome.event_id} received (no status change).")
