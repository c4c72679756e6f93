"""The PayPal gateway: Orders v2 with the buyer's approval on PayPal.

- ``start`` creates the order (``intent`` ``CAPTURE`` or ``AUTHORIZE``, the
  total as an exact decimal string, ``custom_id`` the shop's order number,
  ``payment_source.paypal.experience_context`` with the return URL, the
  order page as the cancel URL, ``brand_name``, ``landing_page``) with
  ``PayPal-Request-Id`` = the start's key; the next step is a redirect to
  the ``payer-action`` (or ``approve``) link. The PayPal order id is the
  payment's reference.
- ``complete`` (the buyer is back), ``status`` (reconciliation) and the
  ``CHECKOUT.ORDER.APPROVED`` webhook finish an approved order — capture or
  authorize, with ``PayPal-Request-Id`` ``sw-paypal-<order id>-<action>``,
  the same whoever asks first, so PayPal finishes it once — and report where
  it stands (:mod:`shopwright_payments_paypal.orders`).
- Movements, each with ``PayPal-Request-Id`` = the ledger row's key:
  ``capture`` → ``payments/authorizations/{id}/capture`` (provider id the
  capture), ``refund`` → ``payments/captures/{id}/refund`` (``custom_id`` the
  ledger key, echoed by the refund webhook; provider id the refund),
  ``cancel`` → ``payments/authorizations/{id}/void`` (provider id the
  authorization; an order never approved has nothing to void at PayPal).
- PayPal's 4xx refusals (``INSTRUMENT_DECLINED``, ``REFUND_AMOUNT_EXCEEDED``
  ...) are ``failed`` outcomes; 5xx, timeouts and connection errors are
  raised (unknown: the shop retries with the same key).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.money import Money
from engine.protocols import (
    GatewayCapabilities,
    PaymentAction,
    PaymentOutcome,
    WebhookOutcome,
)
from shopwright_payments_paypal import orders, webhooks
from shopwright_payments_paypal.client import (
    PayPalClient,
    PayPalRefusal,
    to_money,
    to_value,
)
from shopwright_payments_paypal.settings import PayPalSettings

GATEWAY_ID = "paypal"


class PayPalGateway:
    """A :class:`engine.protocols.PaymentGateway` for PayPal Checkout."""

    id = GATEWAY_ID
    title = "PayPal"

    def __init__(self, settings: PayPalSettings) -> None:
        self.settings = settings
        authorize = settings.intent == "authorize"
        self.capabilities = GatewayCapabilities(
            authorize_then_capture=authorize, partial_capture=authorize, multiple_capture=False, void=True,
            refund=True, partial_refund=True, multiple_refund=True, flow="redirect")

    def client(self) -> PayPalClient:
        return PayPalClient(self.settings.api_base, self.settings.client_id, self.settings.client_secret,
                            self.settings.timeout_seconds)

    # ------------------------------------------------------------ start
    async def start(self, order: Mapping[str, Any]) -> PaymentAction:
        total: Money = order["total"]
        context: dict[str, Any] = {
            "return_url": order["return_url"], "cancel_url": order.get("order_url") or order["return_url"],
            "landing_page": self.settings.landing_page, "user_action": "PAY_NOW",
            "shipping_preference": "NO_SHIPPING"}
        if self.settings.brand_name:
            context["brand_name"] = self.settings.brand_name
        body = {"intent": self.settings.intent.upper(),
                "purchase_units": [{"reference_id": "default", "custom_id": str(order["number"]),
                                    "invoice_id": str(order["number"]), "amount": to_value(total)}],
                "payment_source": {"paypal": {"experience_context": context}}}
        async with self.client() as api:
            created = await api.call("POST", "/v2/checkout/orders", body, request_id=order["idempotency_key"])
        links = {link.get("rel"): link.get("href") for link in created.get("links") or []}
        url = links.get("payer-action") or links.get("approve")
        if not created.get("id") or not url:
            raise RuntimeError(f"PayPal created no approvable order: {created.get('status')!r}")
        return PaymentAction(kind="redirect", reference=created["id"],
                             data={"url": url, "provider": "paypal", "return_url": order["return_url"]})

    # ------------------------------------------------------------ money movements
    async def capture(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome:
        try:
            async with self.client() as api:
                order = await api.call("GET", f"/v2/checkout/orders/{reference}")
                # Whatever its status: a retry with the same request id gets PayPal's first answer.
                auths = orders.payments(order)["authorizations"]
                if not auths:
                    return PaymentOutcome("failed", message="PayPal holds no authorization to capture for this order")
                capture = await api.call("POST", f"/v2/payments/authorizations/{auths[-1]['id']}/capture",
                                         {"amount": to_value(amount), "final_capture": True},
                                         request_id=idempotency_key)
        except PayPalRefusal as exc:
            return _refused(exc)
        report = orders.capture_outcome("", reference, capture, "capture")
        status = {"paid": "succeeded", "failed": "failed"}.get(report.status or "", "pending")
        return PaymentOutcome(status, provider_id=capture.get("id"), amount=to_money(capture.get("amount")),
                              raw=dict(report.raw))

    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome:
        try:
            async with self.client() as api:
                order = await api.call("GET", f"/v2/checkout/orders/{reference}")
                captures = [c for c in orders.payments(order)["captures"] if c.get("status") in orders.PAID]
                if not captures:
                    return PaymentOutcome("failed", message="PayPal holds no completed capture for this order")
                refund = await api.call("POST", f"/v2/payments/captures/{captures[-1]['id']}/refund",
                                        {"amount": to_value(amount), "custom_id": idempotency_key},
                                        request_id=idempotency_key)
        except PayPalRefusal as exc:
            return _refused(exc)
        status = {"COMPLETED": "succeeded", "FAILED": "failed", "CANCELLED": "failed"}.get(
            refund.get("status"), "pending")
        return PaymentOutcome(status, provider_id=refund.get("id"),
                              raw={"refund": refund.get("id"), "status": refund.get("status")})

    async def cancel(self, reference: str, idempotency_key: str) -> PaymentOutcome:
        try:
            async with self.client() as api:
                order = await api.call("GET", f"/v2/checkout/orders/{reference}")
                found = orders.payments(order)
                auths = [a for a in found["authorizations"] if a.get("status") in ("CREATED", "PENDING")]
                if auths:
                    voided = await api.call("POST", f"/v2/payments/authorizations/{auths[-1]['id']}/void",
                                            request_id=idempotency_key)
                    return PaymentOutcome("succeeded", provider_id=auths[-1]["id"],
                                          raw={"authorization": auths[-1]["id"], "status": voided.get("status")})
        except PayPalRefusal as exc:
            return _refused(exc)
        if found["captures"]:
            return PaymentOutcome("failed", message="PayPal already captured this order: refund it instead")
        # Never approved (or already voided): PayPal lets the order expire; nothing holds money.
        return PaymentOutcome("succeeded", provider_id=reference, raw={"order": reference,
                                                                       "status": order.get("status")})

    # ------------------------------------------------------------ reports
    async def finish(self, reference: str, source: str) -> WebhookOutcome:
        """Capture or authorize ``reference`` if the buyer approved it, then
        report where it stands (``source`` names the asker in the event id)."""
        async with self.client() as api:
            order = await api.call("GET", f"/v2/checkout/orders/{reference}")
            if order.get("status") == "APPROVED":
                action = "authorize" if order.get("intent") == "AUTHORIZE" else "capture"
                try:
                    order = await api.call("POST", f"/v2/checkout/orders/{reference}/{action}", {},
                                           request_id=f"sw-paypal-{reference}-{action}")
                except PayPalRefusal as exc:
                    if exc.issue in ("ORDER_ALREADY_CAPTURED", "ORDER_ALREADY_AUTHORIZED"):
                        order = await api.call("GET", f"/v2/checkout/orders/{reference}")
                    elif exc.status == 422:
                        return WebhookOutcome(f"{source}:{reference}:{exc.issue or exc.name}", reference, "failed",
                                              raw={"order": reference, "issue": exc.issue or exc.name})
                    else:
                        raise
        return orders.order_outcome(order, source)

    async def complete(self, reference: str, params: Mapping[str, str]) -> WebhookOutcome:
        """The buyer is back from PayPal (PayPal appends ``token`` = its order
        id and ``PayerID``; the shop's own ``token`` comes first and is not
        passed on): finish the order and report where it stands."""
        return await self.finish(reference, "return")

    async def status(self, reference: str) -> WebhookOutcome:
        return await self.finish(reference, "poll")

    async def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        event = await webhooks.verify(self, body, headers)
        return await webhooks.event_outcome(self, event)


def _refused(exc: PayPalRefusal) -> PaymentOutcome:
    return PaymentOutcome("failed", message=str(exc)[:500],
                          raw={"name": exc.name, "issue": exc.issue, "http_status": exc.status})
