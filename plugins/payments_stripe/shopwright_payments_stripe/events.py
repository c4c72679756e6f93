"""Stripe's webhooks and Payment Intents as the shop's reports
(:class:`engine.protocols.WebhookOutcome`).

A webhook is trusted only after its ``Stripe-Signature`` header verifies
(:func:`verify`, the SDK's ``WebhookSignature``): the ``t=`` timestamp no
older than the tolerance and any one of its ``v1=`` signatures matching the
endpoint's secret (Stripe signs with the old and the new secret while one is
being rotated). Events and what they report:

- ``payment_intent.succeeded`` → ``paid`` (``amount_received``, the charge id);
- ``payment_intent.amount_capturable_updated`` → ``authorized``
  (``amount_capturable``, the charge id);
- ``payment_intent.payment_failed`` → ``failed``;
- ``payment_intent.canceled`` → ``cancelled`` (the intent's id);
- ``charge.refunded`` → ``refunded``, for the newest refund the charge lists
  (its id, amount and ``metadata[shopwright_key]``); ``refund.created`` and
  ``refund.updated`` with a succeeded refund → the same, for that refund;
- ``charge.dispute.created`` → ``disputed`` (staff are alerted);
- anything else → no status (acknowledged, nothing changes).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import stripe

from engine.money import Money
from engine.protocols import WebhookOutcome


def charge_id(charge: Any) -> str | None:
    """The id of a charge given as an id or as an (expanded) object."""
    if charge is None or isinstance(charge, str):
        return charge
    if isinstance(charge, Mapping):
        return charge.get("id")
    return getattr(charge, "id", None)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def verify(body: bytes, headers: Mapping[str, str], secret: str, tolerance: int) -> WebhookOutcome:
    """The report of a webhook whose signature verifies; ``ValueError`` otherwise."""
    if not secret:
        raise ValueError("payments_stripe has no webhook_secret configured")
    try:
        stripe.WebhookSignature.verify_header(body, _header(headers, "Stripe-Signature"), secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise ValueError(str(exc).split(".")[0]) from None
    try:
        event = json.loads(body)
        kind, obj, event_id = event["type"], event["data"]["object"], event["id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a Stripe event: {exc}") from None
    return event_outcome(event_id, kind, obj)


def _money(amount: Any, currency: Any) -> Money | None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not isinstance(currency, str):
        return None
    return Money(amount, currency.upper())


def intent_outcome(intent: Mapping[str, Any], event_id: str, kind: str | None = None) -> WebhookOutcome:
    """Where a Payment Intent stands (``kind``: the event that reported it)."""
    status = intent.get("status")
    reference, currency = intent.get("id"), intent.get("currency")
    charge = charge_id(intent.get("latest_charge"))
    raw = {"payment_intent": reference, "status": status, "event": kind}
    if kind == "payment_intent.payment_failed" or (status == "requires_payment_method"
                                                   and intent.get("last_payment_error")):
        error = intent.get("last_payment_error") or {}
        return WebhookOutcome(event_id, reference, "failed", provider_id=charge_id(error.get("charge")),
                              raw={**raw, "message": str(error.get("message") or "")[:300]})
    if status == "succeeded":
        return WebhookOutcome(event_id, reference, "paid", _money(intent.get("amount_received"), currency),
                              provider_id=charge, raw=raw)
    if status == "requires_capture":
        amount = intent.get("amount_capturable") or intent.get("amount")
        return WebhookOutcome(event_id, reference, "authorized", _money(amount, currency), provider_id=charge,
                              raw=raw)
    if status == "canceled":
        return WebhookOutcome(event_id, reference, "cancelled", provider_id=reference, raw=raw)
    return WebhookOutcome(event_id, reference, "pending", raw=raw)


def _refund_outcome(event_id: str, refund: Mapping[str, Any], reference: str | None) -> WebhookOutcome:
    metadata = refund.get("metadata") or {}
    succeeded = refund.get("status") == "succeeded"
    return WebhookOutcome(event_id, reference or refund.get("payment_intent"), "refunded" if succeeded else None,
                          _money(refund.get("amount"), refund.get("currency")), provider_id=refund.get("id"),
                          transaction_key=metadata.get("shopwright_key") or None,
                          raw={"refund": refund.get("id"), "status": refund.get("status")})


def event_outcome(event_id: str, kind: str, obj: Mapping[str, Any]) -> WebhookOutcome:
    """The report of one verified Stripe event (see the module's list)."""
    if kind.startswith("payment_intent."):
        return intent_outcome(obj, event_id, kind)
    if kind == "charge.refunded":
        refunds = (obj.get("refunds") or {}).get("data") or []
        if not refunds:
            return WebhookOutcome(event_id, obj.get("payment_intent"), None)
        newest = max(refunds, key=lambda refund: refund.get("created") or 0)
        return _refund_outcome(event_id, newest, obj.get("payment_intent"))
    if kind in ("refund.created", "refund.updated", "charge.refund.updated"):
        return _refund_outcome(event_id, obj, obj.get("payment_intent"))
    if kind == "charge.dispute.created":
        return WebhookOutcome(event_id, obj.get("payment_intent"), "disputed",
                              _money(obj.get("amount"), obj.get("currency")), provider_id=obj.get("id"),
                              raw={"dispute": obj.get("id"), "reason": obj.get("reason")})
    return WebhookOutcome(event_id, obj.get("payment_intent") if isinstance(obj, Mapping) else None, None)
