"""Razorpay webhooks through the shop's ``POST /webhooks/payments_razorpay``:
a signature that is not Razorpay's changes nothing (400); one event
delivered three times racing the shopper's return records one payment; an
admin refund followed by Razorpay's ``refund.processed`` counts once."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from razorpay_standin import signed
from test_razorpay_payments import PLUGIN, come_back, deliver, ledger, order_status, placed

from engine.testing import api_token, fetchval
from engine.testing.checkout import add_product

pytestmark = pytest.mark.timeout(120)


async def test_a_webhook_not_signed_by_razorpay_changes_nothing(razorpay, razorpay_shop, sqlite_url):
    async with razorpay_shop(razorpay, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await placed(client, "rzp-forged-1")
            answer = razorpay.pay(order["payment"]["reference"])
            payment = razorpay.payments[answer["razorpay_payment_id"]]
            captured = {**payment, "status": "captured", "captured": True}
            body, headers = signed("payment.captured", {"payment": captured})
            attempts = [
                (body, {**headers, "X-Razorpay-Signature": "0" * 64}),  # forged
                signed("payment.captured", {"payment": captured}, secret="someone-elses-secret"),
                (body, {k: v for k, v in headers.items() if k != "X-Razorpay-Signature"}),  # unsigned
                (body.replace(b"captured", b"refunded", 1), headers),  # altered after signing
                (b"\xff\xfe not utf-8", headers),
            ]
            for content, sent in attempts:
                answer_ = await client.post(f"/webhooks/{PLUGIN}", content=content, headers=sent)
                assert answer_.status_code == 400, answer_.text
            assert await order_status(order["number"]) == "pending_payment"
            assert await ledger(order["number"]) == []
            assert await fetchval("SELECT COUNT(*) FROM payment_events WHERE plugin = {}", PLUGIN) == 0
            # An event the shop does not handle is acknowledged and changes nothing.
            assert (await deliver(client, "order.notification.delivered", {"order": {"id": "x"}})).status_code == 200


async def test_webhook_three_times_racing_the_return_records_one_payment_and_a_refund_counts_once(
        razorpay, razorpay_shop, database_url):
    async with razorpay_shop(razorpay, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('razorpay tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await placed(client, "rzp-race-1")
            number = order["number"]
            answer = razorpay.pay(order["payment"]["reference"])
            payment_id = answer["razorpay_payment_id"]
            body, sent = signed("payment.authorized", {"payment": dict(razorpay.payments[payment_id])})
            answers = await asyncio.gather(
                *(client.post(f"/webhooks/{PLUGIN}", content=body, headers=sent) for _ in range(3)),
                come_back(client, order, answer))
            assert [a.status_code for a in answers] == [200, 200, 200, 303]
            assert razorpay.payments[payment_id]["captured"] is True
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1
            assert await fetchval("SELECT on_hand FROM catalog_stock") == 3, "stock deducted once"
            # Razorpay's own capture and order.paid events afterwards: nothing more.
            captured = dict(razorpay.payments[payment_id])
            assert (await deliver(client, "payment.captured", {"payment": captured})).status_code == 200
            assert (await deliver(client, "order.paid", {"payment": captured,
                                                         "order": razorpay.orders[captured["order_id"]]})
                    ).status_code == 200
            assert await ledger(number) == [("capture", "succeeded", 5490)]

            refunded = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers, json={})
            assert refunded.status_code == 200, refunded.text
            refund = razorpay.refunds[refunded.json()["money"]["transactions"][-1]["provider_id"]]
            late = await deliver(client, "refund.processed", {"refund": refund,
                                                               "payment": dict(razorpay.payments[payment_id])})
            assert late.status_code == 200, late.text
            assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 5490)]
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'payment_refunded'") == 1
            assert await order_status(number) == "refunded"


async def test_a_failed_payment_is_recorded_and_the_order_keeps_waiting(razorpay, razorpay_shop, sqlite_url):
    async with razorpay_shop(razorpay, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await placed(client, "rzp-failed-1")
            razorpay.declines = 1
            declined = razorpay.pay(order["payment"]["reference"])
            payment = razorpay.payments[declined["error"]["metadata"]["payment_id"]]
            assert (await deliver(client, "payment.failed", {"payment": dict(payment)})).status_code == 200
            assert await order_status(order["number"]) == "pending_payment"
            assert [status for _, status, _ in await ledger(order["number"])] == ["failed"]
            # The shopper tries again in checkout, on the same Razorpay order, and pays.
            answer = razorpay.pay(order["payment"]["reference"])
            assert (await come_back(client, order, answer)).status_code == 303
            assert await order_status(order["number"]) == "paid"
