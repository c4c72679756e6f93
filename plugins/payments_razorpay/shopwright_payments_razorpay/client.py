"""The official ``razorpay`` SDK, called from the shop's event loop.

The SDK is synchronous (``requests``); :class:`RazorpayApi` runs each call in
a worker thread with the ``timeout_seconds`` setting as the HTTP deadline,
against ``api_base``, with the SDK's own retries off (the shop retries,
with its own key). How answers are read:

- a ``BAD_REQUEST_ERROR`` or ``GATEWAY_ERROR`` answer is a refusal
  (:class:`RazorpayRefusal`: a declined payment, a capture of a payment
  already captured, a refund of more than is left, a duplicate receipt);
- anything else — a 5xx (``SERVER_ERROR``, or a body that is not
  Razorpay's JSON), a 409 (an idempotent request still in flight: read
  before the SDK, which would take its ``BAD_REQUEST_ERROR`` body for a
  refusal), a 429, a timeout, a refused connection — is raised as it is:
  the outcome is unknown and the core retries later.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import razorpay
import requests
from razorpay.errors import BadRequestError, GatewayError

from shopwright_payments_razorpay.settings import RazorpaySettings


class RazorpayRefusal(Exception):
    """Razorpay answered the request with a definite refusal (a 4xx)."""


class RazorpayBusy(Exception):
    """Razorpay answered 409 or 429: try again later (the outcome is unknown)."""


def _busy(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    if response.status_code in (409, 429):
        raise RazorpayBusy(f"Razorpay answered {response.status_code} for {response.request.method} "
                           f"{response.request.path_url}")


class RazorpayApi:
    """The SDK client for one gateway's settings; each method is one API call."""

    def __init__(self, settings: RazorpaySettings) -> None:
        self.settings = settings

    async def _call(self, work: Callable[[razorpay.Client, dict[str, Any]], Any]) -> Any:
        def run() -> Any:
            session = requests.Session()
            session.hooks["response"].append(_busy)
            client = razorpay.Client(session=session, auth=(self.settings.key_id, self.settings.key_secret),
                                     base_url=self.settings.api_base)
            client.enable_retry(False)
            try:
                return work(client, {"timeout": self.settings.timeout_seconds})
            except (BadRequestError, GatewayError) as exc:
                raise RazorpayRefusal(str(exc) or type(exc).__name__) from None
            finally:
                client.session.close()
        return await asyncio.to_thread(run)

    # Orders API
    async def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call(lambda c, o: c.order.create(body, **o))

    async def orders_with_receipt(self, receipt: str) -> list[dict[str, Any]]:
        answer = await self._call(lambda c, o: c.order.all({"receipt": receipt}, **o))
        return list(answer.get("items") or [])

    async def order_payments(self, order_id: str) -> list[dict[str, Any]]:
        answer = await self._call(lambda c, o: c.order.payments(order_id, **o))
        return list(answer.get("items") or [])

    # Payments API
    async def payment(self, payment_id: str) -> dict[str, Any]:
        return await self._call(lambda c, o: c.payment.fetch(payment_id, **o))

    async def capture(self, payment_id: str, amount: int, currency: str) -> dict[str, Any]:
        return await self._call(lambda c, o: c.payment.capture(payment_id, amount, {"currency": currency}, **o))

    async def refund(self, payment_id: str, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """A refund sent with ``X-Refund-Idempotency``: Razorpay answers a
        repeated key with its first refund (409 while that one is in flight)."""
        headers = {"X-Refund-Idempotency": idempotency_key}
        return await self._call(lambda c, o: c.payment.refund(payment_id, body, headers=headers, **o))

    # Signatures (no network: the SDK's utility)
    def payment_signed(self, order_id: str, payment_id: str, signature: str) -> bool:
        """Whether ``signature`` is Razorpay's HMAC-SHA256 of
        ``order_id|payment_id`` with the key secret."""
        return _verified(lambda u: u.verify_payment_signature({
            "razorpay_order_id": order_id, "razorpay_payment_id": payment_id, "razorpay_signature": signature}),
            self.settings)

    def webhook_signed(self, body: str, signature: str) -> bool:
        """Whether ``signature`` is the HMAC-SHA256 of ``body`` with the webhook secret."""
        secret = self.settings.webhook_secret
        return bool(secret) and _verified(lambda u: u.verify_webhook_signature(body, signature, secret),
                                          self.settings)


def _verified(check: Callable[[Any], Any], settings: RazorpaySettings) -> bool:
    client = razorpay.Client(auth=(settings.key_id, settings.key_secret))
    try:
        return bool(check(client.utility))
    except razorpay.errors.SignatureVerificationError:
        return False
    finally:
        client.session.close()
