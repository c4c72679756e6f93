"""PayPal's webhooks: verified through PayPal, then read as the shop's reports.

:func:`verify` trusts an event only when PayPal's
``POST /v1/notifications/verify-webhook-signature`` answers
``verification_status: SUCCESS`` for the ``PAYPAL-*`` transmission headers,
the ``webhook_id`` setting and the event exactly as received (the raw body
is embedded as it is, not re-serialised). Before asking, the
``PAYPAL-CERT-URL`` header must be an https URL on ``paypal.com`` or one of
its subdomains — a certificate anywhere else is refused without a call. Any
refusal is ``ValueError`` (the core answers 400 and changes nothing); PayPal
not answering is raised as is (the core answers 5xx and PayPal redelivers).

:func:`event_outcome` — events and what they report:

- ``CHECKOUT.ORDER.APPROVED`` → the order is finished (captured or
  authorized, the same request id as the buyer's return) and reported;
- ``PAYMENT.CAPTURE.COMPLETED`` → ``paid``; ``PAYMENT.CAPTURE.PENDING`` →
  ``pending``; ``PAYMENT.CAPTURE.DENIED`` → ``failed``;
- ``PAYMENT.CAPTURE.REFUNDED`` / ``PAYMENT.CAPTURE.REVERSED`` → ``refunded``
  for that refund (its id, amount and ``custom_id`` — the shop's ledger key
  when the shop started it); the order is found through the refunded
  capture (its ``up`` link);
  a reversal is PayPal taking the money back (e.g. a chargeback the buyer
  won): it is recorded as the refund it is, marked ``PAYMENT.CAPTURE.REVERSED``
  in the ledger's raw data;
- ``CUSTOMER.DISPUTE.CREATED`` → ``disputed`` (the order is flagged for
  staff to respond at PayPal); the order is found through the disputed
  capture (``disputed_transactions[].seller_transaction_id``);
- ``PAYMENT.AUTHORIZATION.VOIDED`` → ``cancelled`` (the authorization's id);
- anything else → no status (acknowledged, nothing changes).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from engine.protocols import WebhookOutcome
from shopwright_payments_paypal import orders
from shopwright_payments_paypal.client import to_money

if TYPE_CHECKING:
    from shopwright_payments_paypal.gateway import PayPalGateway

HEADERS = ("PAYPAL-AUTH-ALGO", "PAYPAL-CERT-URL", "PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-SIG",
           "PAYPAL-TRANSMISSION-TIME")


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "") or ""


def paypal_host(url: str) -> bool:
    """Whether ``url`` is https on paypal.com or a subdomain of it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "paypal.com" or host.endswith(".paypal.com"))


async def verify(gateway: PayPalGateway, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """The event of a webhook PayPal says it sent; ``ValueError`` otherwise."""
    webhook_id = gateway.settings.webhook_id
    if not webhook_id:
        raise ValueError("payments_paypal has no webhook_id configured")
    values = {name: _header(headers, name) for name in HEADERS}
    if not all(values.values()):
        raise ValueError("not a PayPal webhook: PAYPAL-* transmission headers missing")
    if not paypal_host(values["PAYPAL-CERT-URL"]):
        raise ValueError("the certificate URL is not on PayPal's hosts")
    try:
        event = json.loads(body)
        if not isinstance(event, dict) or not event.get("id") or not event.get("event_type"):
            raise ValueError("no id or event_type")
    except ValueError as exc:
        raise ValueError(f"not a PayPal event: {exc}") from None
    fields = {"auth_algo": values["PAYPAL-AUTH-ALGO"], "cert_url": values["PAYPAL-CERT-URL"],
              "transmission_id": values["PAYPAL-TRANSMISSION-ID"],
              "transmission_sig": values["PAYPAL-TRANSMISSION-SIG"],
              "transmission_time": values["PAYPAL-TRANSMISSION-TIME"], "webhook_id": webhook_id}
    request = json.dumps(fields)[:-1].encode() + b', "webhook_event": ' + body.strip() + b"}"
    async with gateway.client() as api:
        answer = await api.call("POST", "/v1/notifications/verify-webhook-signature", raw_body=request)
    if answer.get("verification_status") != "SUCCESS":
        raise ValueError("PayPal did not verify the webhook signature")
    return event


def _order_of(resource: Mapping[str, Any]) -> str | None:
    return ((resource.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id")


async def event_outcome(gateway: PayPalGateway, event: Mapping[str, Any]) -> WebhookOutcome:
    """The report of one verified event (see the module's list)."""
    event_id, kind = str(event["id"]), str(event["event_type"])
    resource = event.get("resource") or {}
    if kind == "CHECKOUT.ORDER.APPROVED":
        report = await gateway.finish(str(resource.get("id")), "webhook")
        return WebhookOutcome(event_id, report.reference, report.status, report.amount, report.provider_id,
                              raw={**report.raw, "event": kind})
    if kind in ("PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.PENDING", "PAYMENT.CAPTURE.DENIED"):
        report = orders.capture_outcome(event_id, _order_of(resource), resource, kind)
        if kind == "PAYMENT.CAPTURE.DENIED":
            report = WebhookOutcome(event_id, report.reference, "failed", report.amount, report.provider_id,
                                    raw=report.raw)
        return report
    if kind in ("PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"):
        up = next((link.get("href") for link in resource.get("links") or [] if link.get("rel") == "up"), "")
        capture_id = str(up).rstrip("/").rsplit("/", 1)[-1] if up else ""
        reference = None
        if capture_id:
            async with gateway.client() as api:
                reference = _order_of(await api.call("GET", f"/v2/payments/captures/{capture_id}"))
        key = resource.get("custom_id")
        done = resource.get("status") == "COMPLETED"
        return WebhookOutcome(event_id, reference, "refunded" if done else None, to_money(resource.get("amount")),
                              provider_id=resource.get("id"),
                              transaction_key=key if isinstance(key, str) and key.startswith("sw-pay-") else None,
                              raw={"refund": resource.get("id"), "status": resource.get("status"), "event": kind})
    if kind == "CUSTOMER.DISPUTE.CREATED":
        captures = [str(item["seller_transaction_id"]) for item in resource.get("disputed_transactions") or []
                    if isinstance(item, Mapping) and item.get("seller_transaction_id")]
        reference = None
        if captures:
            async with gateway.client() as api:
                reference = _order_of(await api.call("GET", f"/v2/payments/captures/{captures[0]}"))
        return WebhookOutcome(event_id, reference, "disputed", provider_id=resource.get("dispute_id"),
                              raw={"dispute": resource.get("dispute_id"), "reason": resource.get("reason"),
                                   "event": kind})
    if kind == "PAYMENT.AUTHORIZATION.VOIDED":
        return WebhookOutcome(event_id, _order_of(resource), "cancelled", provider_id=resource.get("id"),
                              raw={"authorization": resource.get("id"), "event": kind})
    reference = resource.get("id") if str(event.get("resource_type")) == "checkout-order" else _order_of(resource)
    return WebhookOutcome(event_id, reference, None)
