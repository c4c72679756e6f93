"""Razorpay payments end to end over real HTTP: the shop served by Hypercorn,
the stand-in Razorpay (``razorpay_standin``) on 127.0.0.1. The shopper's
payment is the stand-in's checkout step (what paying in checkout.js does);
the return, the admin API and the webhooks are the shop's real endpoints."""
from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from razorpay_standin import razorpay_settings, signed
from shopwright_payments_razorpay import plugin
from shopwright_payments_razorpay.settings import RazorpaySettings

from engine.money import Money
from engine.testing import api_token, fetch, fetchval, wait_until
from engine.testing.checkout import add_product, cart_with, checkout_body

PLUGIN = "payments_razorpay"
pytestmark = pytest.mark.timeout(120)


async def place(client: httpx.AsyncClient, key: str, cart: str | None = None) -> httpx.Response:
    """Check out ``cart`` (default: a new one with two TEE-1) with the Idempotency-Key ``key``."""
    if cart is None:
        cart = await cart_with(client, "TEE-1", 2)
    return await client.post(f"/api/v1/carts/{cart}/checkout", headers={"Idempotency-Key": key},
                             json=checkout_body(payment_method="razorpay"))


async def placed(client: httpx.AsyncClient, key: str) -> dict:
    response = await place(client, key)
    assert response.status_code == 201, response.text
    return response.json()


async def come_back(client: httpx.AsyncClient, order: dict, answer: dict[str, str]) -> httpx.Response:
    """The shopper's browser following checkout.js's handler to the return URL."""
    return await client.get(f"/checkout/return/{PLUGIN}", params={
        "order": order["number"], "token": order["access_token"], **answer})


async def ledger(number: str) -> list[tuple[str, str, int]]:
    rows = await fetch("SELECT t.kind, t.status, t.amount FROM payment_transactions t JOIN orders o "
                       "ON o.id = t.order_id WHERE o.number = {} ORDER BY t.id", number)
    return [(row["kind"], row["status"], row["amount"]) for row in rows]


async def order_status(number: str) -> str:
    return await fetchval("SELECT status FROM orders WHERE number = {}", number)


async def deliver(client: httpx.AsyncClient, event: str, entities: dict, **signing) -> httpx.Response:
    body, headers = signed(event, entities, **signing)
    return await client.post(f"/webhooks/{PLUGIN}", content=body, headers=headers)


async def test_pay_in_checkout_then_return_captures_once_and_a_forged_signature_changes_nothing(
        razorpay, razorpay_shop, database_url):
    async with razorpay_shop(razorpay, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await placed(client, "rzp-order-1")
            number, payment = order["number"], order["payment"]
            assert payment["kind"] == "client_secret" and payment["client_secret"] == payment["reference"]
            at_razorpay = razorpay.orders[payment["reference"]]
            assert (at_razorpay["amount"], at_razorpay["currency"]) == (5490, "EUR")
            assert at_razorpay["receipt"].startswith("sw-pay-") and at_razorpay["receipt"].endswith("-start")

            answer = razorpay.pay(payment["reference"])
            forged = {**answer, "razorpay_signature": "0" * 64}
            assert (await come_back(client, order, forged)).status_code == 303
            other_order = {**answer, "razorpay_order_id": "order_SomeoneElse01"}
            assert (await come_back(client, order, other_order)).status_code == 303
            assert await order_status(number) == "pending_payment" and await ledger(number) == []
            assert not razorpay.payments[answer["razorpay_payment_id"]]["captured"]

            returned = await come_back(client, order, answer)
            assert returned.status_code == 303 and returned.headers["location"].startswith(f"/orders/{number}?token=")
            assert await order_status(number) == "paid"
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            assert (await come_back(client, order, answer)).status_code == 303  # a reload
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            assert [c for c in razorpay.calls if c[1].endswith("/capture")] == [
                ("POST", f"/v1/payments/{answer['razorpay_payment_id']}/capture")]
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1


async def test_manual_capture_partial_refund_and_the_refund_webhook_counted_once(
        razorpay, razorpay_shop, sqlite_url):
    async with razorpay_shop(razorpay, sqlite_url, capture="manual") as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('razorpay tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await placed(client, "rzp-manual-1")
            number = order["number"]
            answer = razorpay.pay(order["payment"]["reference"])
            assert (await come_back(client, order, answer)).status_code == 303
            view = (await client.get(f"/api/v1/admin/orders/{number}", headers=headers)).json()
            assert view["status"] == "pending_payment" and view["payment"]["status"] == "authorized"
            assert view["money"]["capabilities"]["authorize_then_capture"] is True

            captured = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers)
            assert captured.status_code == 200, captured.text
            assert captured.json()["status"] == "paid"
            assert razorpay.payments[answer["razorpay_payment_id"]]["status"] == "captured"

            razorpay.refund_status = "pending"  # Razorpay processes this one later
            partial = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers,
                                        json={"amount": 1490})
            assert partial.status_code == 200, partial.text
            row = partial.json()["money"]["transactions"][-1]
            refund = razorpay.refunds[row["provider_id"]]
            assert refund["amount"] == 1490 and refund["notes"] == {"shopwright_key": row["idempotency_key"]}
            assert row["status"] == "pending"

            processed = {**refund, "status": "processed"}
            payment = dict(razorpay.payments[answer["razorpay_payment_id"]])
            for _ in range(2):  # delivered, then redelivered under a new event id
                done = await deliver(client, "refund.processed", {"refund": processed, "payment": payment})
                assert done.status_code == 200, done.text
            assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "succeeded", 5490),
                                            ("refund", "succeeded", 1490)]
            assert await fetchval("SELECT refunded_amount FROM orders WHERE number = {}", number) == 1490

            razorpay.refund_status = "processed"
            rest = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers, json={"amount": 4000})
            assert rest.status_code == 200, rest.text
            assert rest.json()["status"] == "refunded" and rest.json()["totals"]["refunded"] == 5490
            assert razorpay.payments[answer["razorpay_payment_id"]]["status"] == "refunded"
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'payment_refunded'") == 2


async def test_the_reconciliation_captures_a_payment_never_returned_from(razorpay, razorpay_shop, sqlite_url):
    async with razorpay_shop(razorpay, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await placed(client, "rzp-poll-1")
            razorpay.pay(order["payment"]["reference"])  # paid, then the browser closed; no webhook came
            app.runtime.clock = lambda: time.time() + 3600
            await app.runtime.queue.enqueue("core.reconcile_payments")
            await app.runtime.queue.drain()
            assert await order_status(order["number"]) == "paid"
            assert await ledger(order["number"]) == [("capture", "succeeded", 5490)]
            assert [p["captured"] for p in razorpay.payments.values()] == [True]


async def test_razorpay_down_or_answer_lost_at_start_makes_one_razorpay_order(razorpay, razorpay_shop, sqlite_url):
    async with razorpay_shop(razorpay, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            cart = await cart_with(client, "TEE-1", 2)
            razorpay.fail("/v1/orders", 503)
            down = await place(client, "rzp-down-1", cart)
            assert down.status_code == 502, down.text
            assert razorpay.orders == {}
            # The order is created at Razorpay but its answer is lost; the resubmission finds it by its receipt.
            razorpay.fail("POST /v1/orders", "lose")
            lost = await place(client, "rzp-down-1", cart)
            assert lost.status_code == 502, lost.text
            assert len(razorpay.orders) == 1
            again = await place(client, "rzp-down-1", cart)
            assert again.status_code in (200, 201), again.text
            assert list(razorpay.orders) == [again.json()["payment"]["reference"]]


async def test_a_duplicate_receipt_reuses_the_first_order(razorpay):
    """Two starts of one payment racing: the first one's create is slow, the
    second finds no order by the receipt and creates it; the first is then
    refused as a duplicate receipt and answers the order the second made."""
    [gateway] = plugin.payment_gateways(RazorpaySettings(**razorpay_settings(razorpay.url)))
    start = {"number": "1001", "total": Money(5490, "EUR"), "idempotency_key": "sw-pay-7-start",
             "return_url": f"http://127.0.0.1/checkout/return/{PLUGIN}?order=1001"}
    razorpay.fail("POST /v1/orders", "hold")
    slow = asyncio.create_task(gateway.start(start))
    await wait_until(lambda: ("POST", "/v1/orders") in razorpay.calls, what="the first create at Razorpay")
    fast = await gateway.start(start)
    razorpay.release.set()
    assert (await slow).reference == fast.reference
    assert list(razorpay.orders) == [fast.reference]
    assert razorpay.calls.count(("POST", "/v1/orders")) == 2
