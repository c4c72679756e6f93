"""PayPal payments end to end over real HTTP: the shop served by Hypercorn,
the stand-in PayPal (``paypal_standin``) on 127.0.0.1. The buyer's approval
is the stand-in's approval step (what the buyer's click on PayPal does); the
return, the admin API and the webhooks are the shop's real endpoints."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest
from paypal_standin import sign_webhook, webhook_event

from engine.testing import api_token, fetch, fetchval
from engine.testing.checkout import add_product, checkout_body

PLUGIN = "payments_paypal"
pytestmark = pytest.mark.timeout(120)


async def place(client: httpx.AsyncClient, key: str, quantity: int = 2) -> dict:
    cart = (await client.post("/api/v1/carts")).json()["id"]
    assert (await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "TEE-1", "quantity": quantity})
            ).status_code == 201
    response = await client.post(f"/api/v1/carts/{cart}/checkout", headers={"Idempotency-Key": key},
                                 json=checkout_body(payment_method="paypal"))
    assert response.status_code == 201, response.text
    return response.json()


async def come_back(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """The buyer's browser following PayPal's redirect to the shop."""
    parts = urlsplit(url)
    return await client.get(f"{parts.path}?{parts.query}")


async def ledger(number: str) -> list[tuple[str, str, int]]:
    rows = await fetch("SELECT t.kind, t.status, t.amount FROM payment_transactions t JOIN orders o "
                       "ON o.id = t.order_id WHERE o.number = {} ORDER BY t.id", number)
    return [(row["kind"], row["status"], row["amount"]) for row in rows]


async def order_status(number: str) -> str:
    return await fetchval("SELECT status FROM orders WHERE number = {}", number)


async def deliver(client: httpx.AsyncClient, event: dict, **signing) -> httpx.Response:
    body, headers = sign_webhook(event, **signing)
    return await client.post(f"/webhooks/{PLUGIN}", content=body, headers=headers)


async def test_approve_on_paypal_then_return_captures_once(paypal, paypal_shop, database_url):
    async with paypal_shop(paypal, database_url, brand_name="Tee Shop") as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-order-1")
            number, payment = order["number"], order["payment"]
            assert payment["kind"] == "redirect" and payment["url"] == f"{paypal.url}/checkoutnow?token=" + \
                payment["reference"]
            at_paypal = paypal.orders[payment["reference"]]
            assert at_paypal["intent"] == "CAPTURE"
            assert at_paypal["purchase_units"][0]["amount"] == {"currency_code": "EUR", "value": "54.90"}
            assert at_paypal["experience"]["brand_name"] == "Tee Shop"
            assert paypal.requests[0][1].startswith("sw-pay-") and paypal.requests[0][1].endswith("-start")

            back = paypal.approve(payment["reference"])
            returned = await come_back(client, back)
            assert returned.status_code == 303 and returned.headers["location"].startswith(f"/orders/{number}?token=")
            assert await order_status(number) == "paid"
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            # Coming back twice (a reload) captures nothing more.
            assert (await come_back(client, back)).status_code == 303
            assert [kind for kind, _ in paypal.requests].count(f"capture:{payment['reference']}") == 1
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1


async def test_authorize_capture_partial_refund_rest_and_the_late_refund_webhook(paypal, paypal_shop, database_url):
    async with paypal_shop(paypal, database_url, intent="authorize") as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('paypal tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-auth-1")
            number, reference = order["number"], order["payment"]["reference"]
            assert (await come_back(client, paypal.approve(reference))).status_code == 303
            view = (await client.get(f"/api/v1/admin/orders/{number}", headers=headers)).json()
            assert view["status"] == "pending_payment" and view["payment"]["status"] == "authorized"
            assert view["money"]["capabilities"]["authorize_then_capture"] is True

            captured = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers)
            assert captured.status_code == 200, captured.text
            assert captured.json()["status"] == "paid" and captured.json()["totals"]["paid"] == 5490
            capture_id = captured.json()["money"]["transactions"][-1]["provider_id"]
            assert paypal.captures[capture_id]["amount"]["value"] == "54.90"

            partial = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers,
                                        json={"amount": 1490})
            assert partial.status_code == 200, partial.text
            assert partial.json()["status"] == "partially_refunded"
            refund_row = partial.json()["money"]["transactions"][-1]
            refund = paypal.refunds[refund_row["provider_id"]]
            assert refund["amount"] == {"currency_code": "EUR", "value": "14.90"}
            assert refund["custom_id"] == refund_row["idempotency_key"]
            assert ("refund:" + capture_id, refund_row["idempotency_key"]) in paypal.requests

            rest = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers, json={"amount": 4000})
            assert rest.status_code == 200, rest.text
            assert rest.json()["status"] == "refunded" and rest.json()["totals"]["refunded"] == 5490
            assert paypal.captures[capture_id]["status"] == "REFUNDED"

            # PayPal's webhook for the first refund arrives after the admin's answer: nothing changes.
            late = await deliver(client, webhook_event("PAYMENT.CAPTURE.REFUNDED", refund))
            assert late.status_code == 200, late.text
            assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "succeeded", 5490),
                                            ("refund", "succeeded", 1490), ("refund", "succeeded", 4000)]
            assert await fetchval("SELECT refunded_amount FROM orders WHERE number = {}", number) == 5490
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'payment_refunded'") == 2


async def test_void_an_authorization_when_the_order_is_cancelled(paypal, paypal_shop, sqlite_url):
    async with paypal_shop(paypal, sqlite_url, intent="authorize") as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('paypal tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-void-1")
            number, reference = order["number"], order["payment"]["reference"]
            await come_back(client, paypal.approve(reference))
            cancelled = await client.post(f"/api/v1/admin/orders/{number}/cancel", headers=headers, json={})
            assert cancelled.status_code == 200, cancelled.text
            assert cancelled.json()["status"] == "cancelled"
            auth_id = next(iter(paypal.authorizations))
            assert paypal.authorizations[auth_id]["status"] == "VOIDED"
            rows = await ledger(number)
            assert rows[0] == ("authorization", "succeeded", 5490)
            assert [(kind, status) for kind, status, _ in rows[1:]] == [("void", "succeeded")]
            void_key = (await fetch("SELECT idempotency_key FROM payment_transactions WHERE kind = 'void'"))[0]
            assert (f"void:{auth_id}", void_key["idempotency_key"]) in paypal.requests


async def test_a_declined_instrument_fails_and_the_order_keeps_waiting(paypal, paypal_shop, sqlite_url):
    async with paypal_shop(paypal, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-declined-1")
            number, reference = order["number"], order["payment"]["reference"]
            paypal.declines = 1
            returned = await come_back(client, paypal.approve(reference))
            assert returned.status_code == 303
            assert await order_status(number) == "pending_payment"
            # The refusal is on the ledger; the order waits (the shopper may try again on PayPal).
            assert await ledger(number) == [("authorization", "failed", 5490)]
            page = await client.get(f"/orders/{number}", params={"token": order["access_token"]})
            assert page.status_code == 200 and f"{paypal.url}/checkoutnow?token={reference}" in page.text


async def test_paypal_down_on_return_leaves_the_order_and_the_poll_settles_it(paypal, paypal_shop, sqlite_url):
    async with paypal_shop(paypal, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-down-1")
            number, reference = order["number"], order["payment"]["reference"]
            back = paypal.approve(reference)
            paypal.fail(f"/v2/checkout/orders/{reference}/capture", 503)
            returned = await come_back(client, back)
            assert returned.status_code == 303 and "payment=unconfirmed" in returned.headers["location"]
            assert await order_status(number) == "pending_payment"
            assert (await come_back(client, back)).status_code == 303
            assert await order_status(number) == "paid"
            assert await ledger(number) == [("capture", "succeeded", 5490)]


async def test_the_reconciliation_captures_an_order_approved_but_never_returned_from(paypal, paypal_shop,
                                                                                     sqlite_url):
    async with paypal_shop(paypal, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-poll-1")
            number, reference = order["number"], order["payment"]["reference"]
            paypal.approve(reference)  # the buyer approved, then closed the browser; no webhook came
            app.runtime.clock = lambda: time.time() + 3600
            await app.runtime.queue.enqueue("core.reconcile_payments")
            await app.runtime.queue.drain()
            assert await order_status(number) == "paid"
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            assert len(paypal.captures) == 1
