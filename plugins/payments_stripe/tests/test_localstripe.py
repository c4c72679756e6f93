"""The Stripe gateway through the official SDK over real HTTP against
localstripe on 127.0.0.1, with the shop served by Hypercorn so localstripe's
signed webhooks reach it.

localstripe sends ``payment_intent.succeeded`` / ``payment_failed`` itself
(about a second after the change, once); it sends no refund, cancel or
dispute events, so those are built and signed by the test exactly as Stripe
signs them (``sign``), carrying the ids localstripe gave the refund or intent.
"""
from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from engine.testing import api_token, fetch, fetchone, fetchval
from engine.testing.checkout import add_product, checkout_body

sys.path.insert(0, str(Path(__file__).parent))
from stripe_support import PLUGIN, event, sign, wait_for

pytestmark = pytest.mark.timeout(120)


async def place(client: httpx.AsyncClient, key: str, sku: str = "TEE-1", quantity: int = 2) -> dict:
    cart = (await client.post("/api/v1/carts")).json()["id"]
    assert (await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "quantity": quantity})).status_code == 201
    response = await client.post(f"/api/v1/carts/{cart}/checkout", headers={"Idempotency-Key": key},
                                 json=checkout_body(payment_method="stripe"))
    assert response.status_code == 201, response.text
    return response.json()


async def order_status(number: str) -> str:
    return await fetchval("SELECT status FROM orders WHERE number = {}", number)


async def ledger(number: str) -> list[tuple[str, str, int]]:
    rows = await fetch("SELECT t.kind, t.status, t.amount FROM payment_transactions t JOIN orders o "
                       "ON o.id = t.order_id WHERE o.number = {} ORDER BY t.id", number)
    return [(row["kind"], row["status"], row["amount"]) for row in rows]


async def deliver(client: httpx.AsyncClient, payload: dict, **signing) -> httpx.Response:
    body, headers = sign(payload, **signing)
    return await client.post(f"/webhooks/{PLUGIN}", content=body, headers=headers)


async def test_card_payment_refund_and_the_refund_webhook_counted_once(localstripe, stripe_shop, database_url):
    async with stripe_shop(localstripe, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        token = await api_token("stripe tests", ["orders:write"])
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "stripe-order-1")
            number, payment = order["number"], order["payment"]
            assert payment["kind"] == "client_secret" and payment["reference"].startswith("pi_")
            assert payment["client_secret"].startswith(payment["reference"] + "_secret_")
            assert payment["publishable_key"] == "pk_test_shopwright"
            intent = await localstripe.get(f"/v1/payment_intents/{payment['reference']}")
            assert (intent["amount"], intent["currency"], intent["metadata"]) == (5490, "eur", {"order": number})

            confirmed = await localstripe.pay(payment["reference"])
            assert confirmed["status"] == "succeeded"
            await wait_for(lambda: _is(number, "paid"), "localstripe's payment_intent.succeeded webhook")
            assert await ledger(number) == [("capture", "succeeded", 5490)]

            returned = await client.get(f"/checkout/return/{PLUGIN}", params={
                "order": number, "token": order["access_token"], "payment_intent": payment["reference"]})
            assert returned.status_code == 303 and returned.headers["location"].startswith(f"/orders/{number}?token=")
            assert await ledger(number) == [("capture", "succeeded", 5490)], "the return records nothing twice"

            headers = {"Authorization": f"Bearer {token}"}
            refunded = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers,
                                         json={"amount": 1490})
            assert refunded.status_code == 200, refunded.text
            body = refunded.json()
            assert body["status"] == "partially_refunded" and body["totals"]["refunded"] == 1490
            refund_id = body["money"]["transactions"][-1]["provider_id"]
            assert refund_id.startswith("re_")
            at_stripe = await localstripe.get("/v1/refunds", payment_intent=payment["reference"])
            assert [(r["id"], r["amount"], r["metadata"]["shopwright_key"]) for r in at_stripe["data"]] == [
                (refund_id, 1490, body["money"]["transactions"][-1]["idempotency_key"])]

            # Stripe then reports the same refund (localstripe sends no refund events: signed by the test).
            charge = await localstripe.get(f"/v1/charges/{confirmed['latest_charge']['id']}"
                                           if isinstance(confirmed["latest_charge"], dict)
                                           else f"/v1/charges/{confirmed['latest_charge']}")
            charge["refunds"] = {"object": "list", "data": at_stripe["data"]}
            reported = await deliver(client, event("charge.refunded", charge))
            assert reported.status_code == 200 and reported.json()["result"] == "unchanged"
            assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 1490)]
            assert (await fetchone("SELECT refunded_amount FROM orders WHERE number = {}", number))[
                "refunded_amount"] == 1490
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_refunded'") == 1
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'payment_refunded'") == 1


async def _is(number: str, status: str) -> bool:
    return await order_status(number) == status

