"""The Stripe gateway: Payment Intents through the official ``stripe`` SDK.

Every call builds a :class:`stripe.StripeClient` on the ``api_base`` setting
with the SDK's httpx client (async, no SDK retries: the shop retries with the
same idempotency key) and closes it afterwards, so nothing outlives the event
loop that made it.

Outcomes follow :class:`engine.protocols.PaymentGateway`: Stripe's refusals
(a declined card, a request Stripe rejects) are ``failed`` outcomes; anything
that leaves the result unknown (a connection error, a timeout, Stripe's 5xx,
a rate limit, an idempotency conflict) is raised, and the shop retries with
the same key. Provider ids: the charge (``ch_…``) for authorizations and
captures, the refund (``re_…``) for refunds, the Payment Intent for a void;
the shop's key travels in a refund's ``metadata[shopwright_key]``.
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import stripe

from engine.money import Money
from engine.protocols import (
    GatewayCapabilities,
    PaymentAction,
    PaymentOutcome,
    WebhookOutcome,
)
from shopwright_payments_stripe import events
from shopwright_payments_stripe.settings import StripeSettings

GATEWAY_ID = "stripe"
#: Errors that mean "Stripe said no": anything else leaves the outcome unknown.
REFUSALS = (stripe.CardError, stripe.InvalidRequestError, stripe.AuthenticationError, stripe.PermissionError)


class StripeGateway:
    """A :class:`engine.protocols.PaymentGateway` for card payments."""

    id = GATEWAY_ID
    title = "Card (Stripe)"

    def __init__(self, settings: StripeSettings) -> None:
        self.settings = settings
        manual = settings.capture == "manual"
        self.capabilities = GatewayCapabilities(
            authorize_then_capture=manual, partial_capture=manual, multiple_capture=False, void=True,
            refund=True, partial_refund=True, multiple_refund=True, flow="embedded")

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[stripe.StripeClient]:
        if not self.settings.secret_key:
            raise stripe.AuthenticationError("payments_stripe has no secret_key configured")
        http = stripe.HTTPXClient(timeout=self.settings.timeout_seconds)
        client = stripe.StripeClient(self.settings.secret_key, base_addresses={"api": self.settings.api_base},
                                     http_client=http, max_network_retries=0)
        try:
            yield client
        finally:
            await http.close_async()

    # ------------------------------------------------------------ start
    async def start(self, order: Mapping[str, Any]) -> PaymentAction:
        """Create the order's Payment Intent (one per order: the shop's key
        makes a retried start return the same intent)."""
        total: Money = order["total"]
        params: dict[str, Any] = {
            "amount": total.amount, "currency": total.currency.lower(),
            "capture_method": "manual" if self.settings.capture == "manual" else "automatic",
            "payment_method_types": ["card"], "metadata": {"order": str(order["number"])},
        }
        if self.settings.statement_descriptor:
            params["statement_descriptor_suffix"] = self.settings.statement_descriptor
        async with self._client() as client:
            intent = await client.v1.payment_intents.create_async(
                params, {"idempotency_key": order["idempotency_key"]})
        return PaymentAction(kind="client_secret", reference=intent.id, data={
            "client_secret": intent.client_secret, "publishable_key": self.settings.publishable_key,
            "return_url": order.get("return_url", ""), "card_entry": self.settings.card_entry,
            "provider": "stripe"})

    # ------------------------------------------------------------ money movements
    async def capture(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome:
        try:
            async with self._client() as client:
                intent = await client.v1.payment_intents.capture_async(
                    reference, {"amount_to_capture": amount.amount}, {"idempotency_key": idempotency_key})
        except REFUSALS as exc:
            return _refused(exc)
        if intent.status != "succeeded":
            return PaymentOutcome("pending", raw={"payment_intent": intent.id, "status": intent.status})
        return PaymentOutcome("succeeded", provider_id=events.charge_id(intent.latest_charge),
                              amount=Money(int(getattr(intent, "amount_received", None) or amount.amount),
                                           amount.currency),
                              raw={"payment_intent": intent.id, "status": intent.status})

    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome:
        try:
            async with self._client() as client:
                refund = await client.v1.refunds.create_async(
                    {"payment_intent": reference, "amount": amount.amount,
                     "metadata": {"shopwright_key": idempotency_key}},
                    {"idempotency_key": idempotency_key})
        except REFUSALS as exc:
            return _refused(exc)
        status = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(refund.status, "pending")
        return PaymentOutcome(status, provider_id=refund.id, raw={"refund": refund.id, "status": refund.status},
                              message=str(getattr(refund, "failure_reason", None) or ""))

    async def cancel(self, reference: str, idempotency_key: str) -> PaymentOutcome:
        try:
            async with self._client() as client:
                intent = await client.v1.payment_intents.cancel_async(
                    reference, None, {"idempotency_key": idempotency_key})
        except REFUSALS as exc:
            return _refused(exc)
        status = "succeeded" if intent.status == "canceled" else "pending"
        return PaymentOutcome(status, provider_id=intent.id, raw={"payment_intent": intent.id, "status": intent.status})

    # ------------------------------------------------------------ reports
    async def complete(self, reference: str, params: Mapping[str, str]) -> WebhookOutcome:
        """The shopper is back from the card step (``payment_intent`` in the
        query names the intent Stripe.js confirmed): report where the intent
        stands."""
        claimed = params.get("payment_intent")
        if claimed and claimed != reference:
            raise ValueError(f"the return names payment intent {claimed!r}, not the order's")
        return await self.status(reference)

    async def status(self, reference: str) -> WebhookOutcome:
        async with self._client() as client:
            intent = await client.v1.payment_intents.retrieve_async(reference)
        return events.intent_outcome(intent.to_dict(), f"poll:{reference}:{intent.status}")

    async def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        return events.verify(body, headers, self.settings.webhook_secret, self.settings.webhook_tolerance_seconds)


def _refused(exc: stripe.StripeError) -> PaymentOutcome:
    return PaymentOutcome("failed", message=str(exc.user_message or exc)[:500],
                          raw={"code": exc.code, "http_status": exc.http_status})
