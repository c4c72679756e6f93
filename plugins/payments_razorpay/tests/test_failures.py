"""Razorpay down, losing answers or slower than the shop waits: one capture,
one refund. Captures are safe to repeat (a captured payment is refused and
read back); refunds carry ``X-Refund-Idempotency`` = the ledger key, which
the stand-in, like Razorpay, answers with its first refund (409 while that
one is still in flight)."""
from __future__ import annotations

import httpx
import pytest
from test_razorpay_payments import come_back, ledger, order_status, placed

from engine.testing import api_token, wait_until
from engine.testing.checkout import add_product

pytestmark = pytest.mark.timeout(120)


async def test_down_losing_answers_or_slow_moves_money_once(razorpay, razorpay_shop, sqlite_url):
    settings = {"checkout": {"payment_timeout_seconds": 1}}
    async with razorpay_shop(razorpay, sqlite_url, settings=settings, capture="manual",
                             timeout_seconds=1) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('razorpay tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await placed(client, "rzp-outage-1")
            number = order["number"]
            answer = razorpay.pay(order["payment"]["reference"])
            payment_id = answer["razorpay_payment_id"]
            await come_back(client, order, answer)

            # Capture: down, then captured with the answer lost; the settle job reads it back.
            razorpay.fail("/capture", 503)
            razorpay.fail("/capture", "lose")
            pending = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers)
            assert pending.status_code == 502 and pending.json()["title"] == "Payment provider not answering"
            await wait_until(lambda: _status_is(number, "paid"), what="the settle job's capture")
            assert razorpay.payments[payment_id]["captured"] is True

            # Refund: the answer is lost, and the request is sent again: one refund at Razorpay.
            razorpay.fail("/refund", "lose")
            for _ in range(2):
                lost = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers,
                                         json={"amount": 1000})
                assert lost.status_code in (200, 502), lost.text
            await wait_until(lambda: _status_is(number, "partially_refunded"), what="the refund settled")
            assert [r["amount"] for r in razorpay.refunds.values()] == [1000], "refunded once"

            # Refund slower than the shop waits: the job's retries meet 409 until Razorpay answers.
            refund_calls = lambda: sum(1 for call in razorpay.calls if call[1].endswith("/refund"))  # noqa: E731
            before = refund_calls()
            razorpay.fail("POST /v1/payments", "hold")
            slow = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers, json={"amount": 500})
            assert slow.status_code == 502 and slow.json()["type"] == "/problems/payment-pending"
            await wait_until(lambda: refund_calls() >= before + 2,
                             what="the settle job retrying while Razorpay still works on the first")
            razorpay.release.set()
            await wait_until(lambda: _no_pending(number), what="every movement settled")
            assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "succeeded", 5490),
                                            ("refund", "succeeded", 1000), ("refund", "succeeded", 500)]
            assert sorted(r["amount"] for r in razorpay.refunds.values()) == [500, 1000], "each refunded once"
            assert await order_status(number) == "partially_refunded"


async def _status_is(number: str, status: str) -> bool:
    return await order_status(number) == status


async def _no_pending(number: str) -> bool:
    return not any(status == "pending" for _, status, _ in await ledger(number))
