"""Razorpay's webhooks: verified, then read as the shop's reports.

:func:`verify` trusts a delivery only when ``X-Razorpay-Signature`` is the
HMAC-SHA256 (hex) of the raw body with the ``webhook_secret`` setting — the
SDK's ``verify_webhook_signature`` over the body exactly as received. A
missing or wrong signature, a body that is not UTF-8 JSON, or no webhook
secret configured is ``ValueError`` (the core answers 400, nothing changes).

The event's id is the ``x-razorpay-event-id`` header (the same on every
redelivery of one event; the core applies an event id once).

:func:`event_outcome` — events and what they report:

- ``payment.authorized`` → captured first when ``capture`` is ``automatic``
  (the same capture as the shopper's return: whoever is first captures, the
  others read it back), then ``paid``; ``authorized`` when it is ``manual``;
- ``payment.captured``, ``order.paid`` → ``paid``; ``payment.failed`` → ``failed``;
- ``refund.processed`` → ``refunded`` for that refund (its id, amount and
  ``notes.shopwright_key`` — the shop's ledger key when the shop started it,
  so an admin refund and its webhook count once); the Razorpay order is the
  refunded payment's;
- anything else → no status (acknowledged, nothing changes).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.protocols import WebhookOutcome
from shopwright_payments_razorpay import payments
from shopwright_payments_razorpay.client import RazorpayApi

if TYPE_CHECKING:
    from shopwright_payments_razorpay.gateway import RazorpayGateway


def header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "") or ""


def verify(api: RazorpayApi, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """The event of a delivery Razorpay signed; ``ValueError`` otherwise."""
    if not api.settings.webhook_secret:
        raise ValueError("payments_razorpay has no webhook_secret configured")
    signature = header(headers, "X-Razorpay-Signature")
    if not signature:
        raise ValueError("not a Razorpay webhook: X-Razorpay-Signature missing")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the webhook body is not UTF-8") from None
    if not api.webhook_signed(text, signature):
        raise ValueError("the X-Razorpay-Signature does not match the body")
    try:
        event = json.loads(text)
    except ValueError:
        event = None
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        raise ValueError("not a Razorpay event")
    return event


def event_id(event: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """The delivery's ``x-razorpay-event-id``; without one, the event name,
    its entity's id and its time (stable across redeliveries too)."""
    given = header(headers, "x-razorpay-event-id")[:100]
    if given:
        return given
    entity = _entity(event, "refund") or _entity(event, "payment") or _entity(event, "order")
    return f"{event.get('event')}:{entity.get('id')}:{event.get('created_at')}"


def _entity(event: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    found = ((event.get("payload") or {}).get(kind) or {}).get("entity")
    return found if isinstance(found, Mapping) else {}


async def event_outcome(gateway: RazorpayGateway, event: Mapping[str, Any], event_id: str) -> WebhookOutcome:
    """The report of one verified event (see the module's list)."""
    name = str(event["event"])
    payment = _entity(event, "payment")
    if name == "payment.authorized" and payment.get("id"):
        return await gateway.settle(payment, event_id)
    if name in ("payment.captured", "payment.failed", "order.paid") and payment.get("id"):
        reference = _entity(event, "order").get("id") or payment.get("order_id")
        return payments.report(payment, event_id, reference)
    if name == "refund.processed":
        refund = _entity(event, "refund")
        if not payment and refund.get("payment_id"):
            payment = await gateway.api.payment(str(refund["payment_id"]))
        key = (refund.get("notes") or {}).get("shopwright_key") if isinstance(refund.get("notes"), Mapping) else None
        return WebhookOutcome(event_id, payment.get("order_id"), "refunded", payments.money(refund),
                              provider_id=refund.get("id"),
                              transaction_key=key if isinstance(key, str) and key.startswith("sw-pay-") else None,
                              raw={"refund": refund.get("id"), "status": refund.get("status"), "event": name})
    return WebhookOutcome(event_id, payment.get("order_id") or _entity(event, "order").get("id"), None)
