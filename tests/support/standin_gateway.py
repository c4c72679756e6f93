"""A payment provider stand-in for the payment contract's tests: its answers
are set by each test (``state``, ``fail_next``), the keys it saw are in
``keys`` and the money it moved in ``moved``."""
from __future__ import annotations

import json
from types import SimpleNamespace

from engine import PluginManifest, hookimpl
from engine.money import Money
from engine.protocols import GatewayCapabilities, PaymentAction, PaymentOutcome, WebhookOutcome


class StandInGateway:
    """A provider stand-in: its answers are set by each test. ``fail_next``
    counts calls that raise (the provider times out) before it answers; the
    keys it saw are in ``keys``; webhooks are JSON, trusted (signatures are
    the Stripe plugin's tests' business)."""

    id = "standin"
    title = "Stand-in card"

    def __init__(self):
        self.capabilities = GatewayCapabilities(authorize_then_capture=True, partial_capture=True, void=True,
                                                flow="redirect")
        self.fail_next = 0
        self.keys: list[tuple[str, str]] = []
        self.moved: list[tuple[str, int]] = []
        self.state = "pending"

    def _flaky(self, what: str, key: str):
        self.keys.append((what, key))
        if self.fail_next:
            self.fail_next -= 1
            raise TimeoutError("stand-in: no answer")

    async def start(self, order):
        return PaymentAction(kind="redirect", reference=f"sp_{order['number']}",
                             data={"url": f"https://pay.example.test/{order['number']}"})

    async def capture(self, reference, amount, idempotency_key):
        self._flaky("capture", idempotency_key)
        self.moved.append(("capture", amount.amount))
        return PaymentOutcome("succeeded", provider_id=f"cap_{idempotency_key}")

    async def refund(self, reference, amount, idempotency_key):
        self._flaky("refund", idempotency_key)
        if idempotency_key not in {key for what, key in self.keys[:-1] if what == "refund"}:
            self.moved.append(("refund", amount.amount))  # a provider honouring idempotency keys
        return PaymentOutcome("succeeded", provider_id=f"ref_{idempotency_key}")

    async def cancel(self, reference, idempotency_key):
        return PaymentOutcome("succeeded", provider_id=f"void_{reference}")

    async def complete(self, reference, params):
        return await self.status(reference)

    async def status(self, reference):
        if self.state == "paid":
            return WebhookOutcome(f"poll:{reference}", reference, "paid", provider_id=f"ch_{reference}")
        return WebhookOutcome(f"poll:{reference}", reference, "pending")

    async def verify_webhook(self, body, headers):
        data = json.loads(body)
        amount = Money(data["amount"], data.get("currency", "EUR")) if "amount" in data else None
        return WebhookOutcome(event_id=data["id"], reference=data["reference"], status=data["status"],
                              amount=amount, provider_id=data.get("provider_id"))


async def standin_shop(make_app, database_url):
    """An app with the stand-in as plugin ``standin_pay`` (gateway ``standin``)
    and 5 of ``TEE-1`` at 25.00; ``app.gateway`` is the stand-in."""
    from engine.testing.checkout import add_product

    gateway = StandInGateway()
    standin = SimpleNamespace(MANIFEST=PluginManifest(name="standin_pay", title="Stand-in payments"),
                              payment_gateways=hookimpl(lambda settings: [gateway]))
    app = await make_app(plugins=[standin], database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    app.gateway = gateway
    return app


async def report(shop, **event) -> dict:
    """Deliver the stand-in webhook ``event`` (``id``, ``reference``,
    ``status``, ``amount``, ...) to ``shop``; asserts 200 and returns the answer."""
    response = await shop.test_client().post("/webhooks/standin_pay", data=json.dumps(event).encode(),
                                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200, await response.get_json()
    return await response.get_json()
