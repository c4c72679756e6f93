"""The Razorpay gateway: Razorpay Orders with Razorpay Checkout on the order page.

- ``start`` creates a Razorpay order (``amount`` in the currency's smallest
  sub-unit, ``currency``, ``receipt`` = the start's idempotency key
  ``sw-pay-<payment id>-start``, derived from the shop's payment row, and
  ``notes.shop_order``). Razorpay requires receipts to be unique, so a retry
  first looks the receipt up (``GET /v1/orders?receipt=``) and reuses the
  order it finds; a create refused as a duplicate receipt (a retry racing the
  first call) looks it up again. One shop payment, one Razorpay order. The
  next step is ``client_secret`` (the Razorpay order id, with ``key_id`` as
  the publishable key) for checkout.js (:mod:`plugin`'s script).
- ``complete`` trusts the shopper's return only when ``razorpay_signature``
  is the HMAC-SHA256 of ``<our order id>|razorpay_payment_id`` with the key
  secret (the SDK's ``verify_payment_signature``); a forged or missing one
  reports nothing. A signed payment is fetched from Razorpay, captured when
  ``capture`` is ``automatic``, and reported.
- Movements: ``capture`` → ``POST /v1/payments/:id/capture`` (the full
  authorized amount: Razorpay captures no less; a payment already captured
  is refused and read back, so a retry captures once); ``refund`` →
  ``POST /v1/payments/:id/refund`` with the header ``X-Refund-Idempotency``
  = the ledger key (Razorpay answers a repeated key with its first refund)
  and ``notes.shopwright_key`` = the same key (echoed by the
  ``refund.processed`` webhook); ``cancel``: Razorpay
  has no void (an authorization never captured is refunded by Razorpay after
  its capture window), so a payment never authorized is cancelled with
  nothing to do and an authorized one is refused.
- Razorpay's refusals (``BAD_REQUEST_ERROR``, ``GATEWAY_ERROR``) are
  ``failed`` outcomes; 5xx answers, timeouts and connection errors are raised
  (unknown: the shop retries with the same key).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.money import Money
from engine.protocols import GatewayCapabilities, PaymentAction, PaymentOutcome, WebhookOutcome
from shopwright_payments_razorpay import payments, webhooks
from shopwright_payments_razorpay.client import RazorpayApi, RazorpayRefusal
from shopwright_payments_razorpay.currencies import SUPPORTED
from shopwright_payments_razorpay.settings import RazorpaySettings

GATEWAY_ID = "razorpay"
REFUND_STATUS = {"processed": "succeeded", "failed": "failed"}


class RazorpayGateway:
    """A :class:`engine.protocols.PaymentGateway` for Razorpay Checkout."""

    id = GATEWAY_ID
    title = "Razorpay (cards, UPI, netbanking)"

    def __init__(self, settings: RazorpaySettings) -> None:
        self.settings = settings
        self.api = RazorpayApi(settings)
        self.capabilities = GatewayCapabilities(
            authorize_then_capture=settings.capture == "manual", partial_capture=False, multiple_capture=False,
            void=False, refund=True, partial_refund=True, multiple_refund=True, flow="embedded",
            currencies=SUPPORTED)

    # ------------------------------------------------------------ start
    async def start(self, order: Mapping[str, Any]) -> PaymentAction:
        total: Money = order["total"]
        receipt = str(order["idempotency_key"])[:40]
        created = await self._order_for(receipt)
        if created is None:
            body = {"amount": total.amount, "currency": total.currency, "receipt": receipt,
                    "notes": {"shop_order": str(order["number"])}}
            try:
                created = await self.api.create_order(body)
            except RazorpayRefusal:
                created = await self._order_for(receipt)  # a duplicate receipt: the first call's order
                if created is None:
                    raise
        if (created.get("amount"), created.get("currency")) != (total.amount, total.currency):
            raise RuntimeError(f"Razorpay order {created.get('id')} is for {created.get('amount')} "
                               f"{created.get('currency')}, not the order's total")
        return PaymentAction(kind="client_secret", reference=created["id"], data={
            "client_secret": created["id"], "publishable_key": self.settings.key_id,
            "return_url": order["return_url"], "provider": "razorpay",
            "amount": total.amount, "currency": total.currency})

    async def _order_for(self, receipt: str) -> dict[str, Any] | None:
        return next(iter(await self.api.orders_with_receipt(receipt)), None)

    # ------------------------------------------------------------ money movements
    async def _payment_of(self, reference: str) -> Mapping[str, Any] | None:
        return payments.best(await self.api.order_payments(reference))

    async def capture(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome:
        payment = await self._payment_of(reference)
        if payment is None or payment.get("status") not in ("authorized", "captured", "refunded"):
            return PaymentOutcome("failed", message="Razorpay holds no authorized payment for this order")
        if not payments.captured(payment):
            try:
                payment = await self.api.capture(payment["id"], amount.amount, amount.currency)
            except RazorpayRefusal as exc:
                payment = await self.api.payment(payment["id"])  # captured meanwhile: read it again
                if not payments.captured(payment):
                    return PaymentOutcome("failed", message=str(exc)[:500], raw={"payment": payment.get("id")})
        return PaymentOutcome("succeeded", provider_id=payment["id"], amount=payments.money(payment),
                              raw={"payment": payment["id"], "status": payment.get("status")})

    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome:
        payment = await self._payment_of(reference)
        if payment is None or not payments.captured(payment):
            return PaymentOutcome("failed", message="Razorpay holds no captured payment for this order")
        try:
            made = await self.api.refund(payment["id"], {"amount": amount.amount,
                                                         "notes": {"shopwright_key": idempotency_key}},
                                         idempotency_key)
        except RazorpayRefusal as exc:
            return PaymentOutcome("failed", message=str(exc)[:500], raw={"payment": payment["id"]})
        return PaymentOutcome(REFUND_STATUS.get(str(made.get("status")), "pending"), provider_id=made.get("id"),
                              amount=payments.money(made), raw={"refund": made.get("id"), "status": made.get("status")})

    async def cancel(self, reference: str, idempotency_key: str) -> PaymentOutcome:
        payment = await self._payment_of(reference)
        if payment is not None and payments.captured(payment):
            return PaymentOutcome("failed", message="Razorpay captured this payment: refund it instead")
        if payment is not None and payment.get("status") == "authorized":
            return PaymentOutcome("failed", message="Razorpay cannot void an authorization; it refunds it "
                                                    "itself when it is not captured in time")
        return PaymentOutcome("succeeded", provider_id=reference, raw={"order": reference})

    # ------------------------------------------------------------ reports
    async def settle(self, payment: Mapping[str, Any], event_id: str) -> WebhookOutcome:
        """Report ``payment``, capturing it first when it is authorized and
        ``capture`` is ``automatic`` (a capture another caller made first is
        read back, so whoever asks first captures and the rest see it)."""
        if payment.get("status") == "authorized" and self.settings.capture == "automatic":
            try:
                payment = await self.api.capture(payment["id"], payment.get("amount"), payment.get("currency"))
            except RazorpayRefusal:
                payment = await self.api.payment(payment["id"])
        return payments.report(payment, event_id)

    async def complete(self, reference: str, params: Mapping[str, str]) -> WebhookOutcome:
        """The shopper is back from checkout.js with ``razorpay_payment_id``,
        ``razorpay_order_id`` and ``razorpay_signature``: nothing is trusted
        unless the signature verifies for the order the shop created."""
        payment_id = str(params.get("razorpay_payment_id") or "")
        signature = str(params.get("razorpay_signature") or "")
        claimed_order = params.get("razorpay_order_id")
        if (not payment_id or (claimed_order is not None and claimed_order != reference)
                or not self.api.payment_signed(reference, payment_id, signature)):
            return WebhookOutcome(f"return:{reference}:unsigned", reference, None, raw={"signature": "invalid"})
        payment = await self.api.payment(payment_id)
        if payment.get("order_id") != reference:
            return WebhookOutcome(f"return:{reference}:other-order", reference, None)
        return await self.settle(payment, f"return:{payment_id}")

    async def status(self, reference: str) -> WebhookOutcome:
        payment = await self._payment_of(reference)
        if payment is None:
            return WebhookOutcome(f"poll:{reference}:none", reference, "pending", raw={"order": reference})
        return await self.settle(payment, f"poll:{payment['id']}")

    async def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        event = webhooks.verify(self.api, body, headers)
        return await webhooks.event_outcome(self, event, webhooks.event_id(event, headers))
