"""POST /webhooks/<plugin>: verified, applied once per provider event id."""
from __future__ import annotations

import hashlib
import hmac
import json
from types import SimpleNamespace

import pytest

from engine import PluginManifest, hookimpl
from engine.db.sql import fetchone
from engine.testing.checkout import add_product, cart_with, checkout
from engine.money import Money
from engine.protocols import GatewayCapabilities, PaymentAction, PaymentOutcome, WebhookOutcome

SECRET = b"whsec_test"


class CardGateway:
    """A provider stand-in: payments start with a client secret; webhooks are
    JSON signed with HMAC-SHA256 in ``X-Signature``."""

    id = "card"
    title = "Card"
    capabilities = GatewayCapabilities(authorize_then_capture=True, partial_capture=True, void=True,
                                       flow="embedded")

    def __init__(self):
        self.calls = []

    async def start(self, order):
        self.calls.append(("start", order["number"], order["total"]))
        return PaymentAction(kind="client_secret", reference=f"pi_{order['number']}",
                             data={"client_secret": f"pi_{order['number']}_secret"})

    async def capture(self, reference, amount, idempotency_key):
        self.calls.append(("capture", reference, amount))
        return PaymentOutcome("succeeded", provider_id=f"ch_{reference}")

    async def refund(self, reference, amount, idempotency_key):
        self.calls.append(("refund", reference, amount))
        return PaymentOutcome("succeeded", provider_id=f"re_{idempotency_key}")

    async def cancel(self, reference, idempotency_key):
        self.calls.append(("cancel", reference))
        return PaymentOutcome("succeeded", provider_id=f"void_{reference}")

    async def complete(self, reference, params):
        return WebhookOutcome(event_id=f"return:{reference}", reference=reference, status=params.get("status"))

    async def status(self, reference):
        return WebhookOutcome(event_id=f"status:{reference}", reference=reference)

    async def verify_webhook(self, body, headers):
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Signature", "")):
            raise ValueError("bad signature")
        data = json.loads(body)
        amount = Money(data["amount"], "EUR") if "amount" in data else None
        return WebhookOutcome(event_id=data["id"], reference=data["reference"], status=data["status"], amount=amount)


@pytest.fixture
async def card_shop(database_url, make_app):
    gateway = CardGateway()
    card = SimpleNamespace(MANIFEST=PluginManifest(name="card_pay", title="Card payments"),
                           payment_gateways=hookimpl(lambda settings: [gateway]))
    app = await make_app(plugins=[card], database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    app.gateway = gateway
    return app


def signed(payload: dict) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    return body, {"X-Signature": hmac.new(SECRET, body, hashlib.sha256).hexdigest(),
                  "Content-Type": "application/json"}


async def deliver(client, payload, plugin="card_pay", tamper=False):
    body, headers = signed(payload)
    if tamper:
        body = body.replace(b'"paid"', b'"refunded"')
    return await client.post(f"/webhooks/{plugin}", data=body, headers=headers)


async def order_status(number):
    return (await fetchone("SELECT status FROM orders WHERE number = {}", number))["status"]


async def test_payment_starts_with_a_client_secret_and_a_webhook_marks_it_paid(card_shop):
    client = card_shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1", 2), payment_method="card")).get_json()
    number = order["number"]
    assert order["payment"]["kind"] == "client_secret"
    assert order["payment"]["client_secret"] == f"pi_{number}_secret"
    assert order["payment"]["data"] == {"client_secret": f"pi_{number}_secret"}
    assert card_shop.gateway.calls == [("start", number, Money(5490, "EUR"))]

    event = {"id": "evt_1", "reference": f"pi_{number}", "status": "paid", "amount": 5490}
    forged = await deliver(client, event, tamper=True)
    assert forged.status_code == 400 and forged.content_type == "application/problem+json"
    assert await order_status(number) == "pending_payment"
    first = await deliver(client, event)
    assert first.status_code == 200 and (await first.get_json())["status"] == "applied"
    assert await order_status(number) == "paid"
    replay = await deliver(client, event)
    assert (await replay.get_json())["status"] == "duplicate"
    stock = await fetchone("SELECT on_hand, reserved FROM catalog_stock")
    assert (stock["on_hand"], stock["reserved"]) == (3, 0)
    paid_events = await fetchone("SELECT COUNT(*) AS n FROM order_events WHERE to_status = 'paid'")
    assert paid_events["n"] == 1

    refund = {"id": "evt_2", "reference": f"pi_{number}", "status": "refunded", "amount": 490}
    assert (await (await deliver(client, refund)).get_json())["status"] == "applied"
    assert await order_status(number) == "partially_refunded"
    assert card_shop.gateway.calls[-1][0] == "start", "a provider-reported refund is not sent back to the provider"


async def test_staff_refund_and_capture_go_through_the_gateway(card_shop, staff_token):
    client = card_shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"), payment_method="card")).get_json()
    number = order["number"]
    authorized = {"id": "evt_a", "reference": f"pi_{number}", "status": "authorized"}
    await deliver(client, authorized)
    assert await order_status(number) == "pending_payment"
    headers = {"Authorization": f"Bearer {staff_token}"}
    captured = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers)
    assert captured.status_code == 200 and (await captured.get_json())["status"] == "paid"
    refunded = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers, json={"amount": 500})
    assert (await refunded.get_json())["status"] == "partially_refunded"
    assert card_shop.gateway.calls[1:] == [("capture", f"pi_{number}", Money(2990, "EUR")),
                                           ("refund", f"pi_{number}", Money(500, "EUR"))]


async def test_a_failing_gateway_changes_nothing(card_shop, staff_token):
    client = card_shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"), payment_method="card")).get_json()
    number = order["number"]
    await deliver(client, {"id": "evt_p", "reference": f"pi_{number}", "status": "paid"})

    async def declined(reference, amount, idempotency_key):
        raise ConnectionError("provider down")

    card_shop.gateway.refund = declined
    response = await client.post(f"/api/v1/admin/orders/{number}/refund",
                                 headers={"Authorization": f"Bearer {staff_token}"})
    assert response.status_code == 502 and "card_pay" in (await response.get_json())["detail"]
    assert await order_status(number) == "paid"


async def test_failed_cancelled_and_unknown_events(card_shop):
    client = card_shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"), payment_method="card")).get_json()
    number = order["number"]
    await deliver(client, {"id": "evt_f", "reference": f"pi_{number}", "status": "failed"})
    assert await order_status(number) == "pending_payment"
    assert (await fetchone("SELECT status FROM payments"))["status"] == "failed"
    await deliver(client, {"id": "evt_c", "reference": f"pi_{number}", "status": "cancelled"})
    assert await order_status(number) == "cancelled"
    assert (await fetchone("SELECT reserved FROM catalog_stock"))["reserved"] == 0
    unknown = await deliver(client, {"id": "evt_u", "reference": "pi_elsewhere", "status": "paid"})
    assert (await unknown.get_json())["status"] == "ignored"
    assert (await client.post("/webhooks/no_such_plugin", data=b"{}")).status_code == 404
    assert (await client.post("/webhooks/core_payments", data=b"{}")).status_code == 400


@pytest.fixture
async def staff_token(card_shop):
    from engine.accounts.staff import create_token

    token, _ = await create_token("payments", ["orders:read", "orders:write"])
    return token
