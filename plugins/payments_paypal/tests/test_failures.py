"""PayPal down, losing answers or slower than the shop waits: no order lost,
one PayPal order, one capture, one refund — every retry carries the same
``PayPal-Request-Id`` and the stand-in, like PayPal, answers a repeated id
with its first result."""
from __future__ import annotations

import httpx
import pytest
from test_payments import come_back, ledger, order_status

from engine.testing import api_token, fetchval, wait_until
from engine.testing.checkout import add_product, checkout_body

pytestmark = pytest.mark.timeout(120)


async def submit(client: httpx.AsyncClient, cart: str, key: str) -> httpx.Response:
    return await client.post(f"/api/v1/carts/{cart}/checkout", headers={"Idempotency-Key": key},
                             json=checkout_body(payment_method="paypal"))


async def test_down_or_losing_answers_loses_no_order_and_moves_money_once(paypal, paypal_shop, database_url):
    async with paypal_shop(paypal, database_url, intent="authorize") as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('paypal tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            # Payment start: PayPal is down, then creates the order but the answer is lost.
            paypal.fail("/v2/checkout/orders", 503)
            paypal.fail("/v2/checkout/orders", "lose")
            cart = (await client.post("/api/v1/carts")).json()["id"]
            await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "TEE-1", "quantity": 2})
            for _ in range(2):
                failed = await submit(client, cart, "outage-1")
                assert failed.status_code == 502, failed.text
                assert "same Idempotency-Key" in failed.json()["detail"]
            order = (await submit(client, cart, "outage-1")).json()
            number, reference = order["number"], order["payment"]["reference"]
            assert await fetchval("SELECT COUNT(*) FROM orders") == 1, "no order lost, none doubled"
            assert list(paypal.orders) == [reference], "one PayPal order"
            starts = {key for method, path, key in paypal.calls if (method, path) == ("POST", "/v2/checkout/orders")}
            assert len(starts) == 1 and next(iter(starts)).endswith("-start")
            await come_back(client, paypal.approve(reference))
            assert await ledger(number) == [("authorization", "succeeded", 5490)]

            # Capture: down, then captured with the answer lost; the settle job retries with the same key.
            auth_id = next(iter(paypal.authorizations))
            paypal.fail(f"/v2/payments/authorizations/{auth_id}/capture", 503)
            paypal.fail(f"/v2/payments/authorizations/{auth_id}/capture", "lose")
            pending = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers)
            assert pending.status_code == 502 and pending.json()["title"] == "Payment provider not answering"
            await wait_until(lambda: _status_is(number, "paid"), what="the settle job's capture")
            assert len(paypal.captures) == 1

            # Refund: down, then the answer is lost; the retried request and the job reuse the key.
            capture_id = next(iter(paypal.captures))
            paypal.fail(f"/v2/payments/captures/{capture_id}/refund", 503)
            paypal.fail(f"/v2/payments/captures/{capture_id}/refund", "lose")
            for _ in range(2):
                lost = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers,
                                         json={"amount": 1000})
                assert lost.status_code in (200, 502), lost.text
            await wait_until(lambda: _status_is(number, "partially_refunded"), what="the settle job's refund")
            await wait_until(lambda: _no_pending(number), what="every movement settled")
            assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "succeeded", 5490),
                                            ("refund", "succeeded", 1000)]
            assert [r["amount"]["value"] for r in paypal.refunds.values()] == ["10.00"], "refunded once"
            keys = {key for method, path, key in paypal.calls if path.endswith("/refund")}
            assert len(keys) == 1, "every refund attempt carried the same PayPal-Request-Id"


async def test_a_refund_slower_than_the_shop_waits_is_settled_once(paypal, paypal_shop, sqlite_url):
    settings = {"checkout": {"payment_timeout_seconds": 1}}
    async with paypal_shop(paypal, sqlite_url, settings=settings) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('paypal tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            cart = (await client.post("/api/v1/carts")).json()["id"]
            await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "TEE-1", "quantity": 2})
            order = (await submit(client, cart, "slow-1")).json()
            number, reference = order["number"], order["payment"]["reference"]
            await come_back(client, paypal.approve(reference))
            assert await order_status(number) == "paid"

            paypal.fail("/refund", "hold")
            timed_out = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers)
            assert timed_out.status_code == 502 and timed_out.json()["type"] == "/problems/payment-pending"
            assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "pending", 5490)]
            paypal.release.set()  # PayPal recovers: the held refund and the job's retry meet one refund
            await wait_until(lambda: _status_is(number, "refunded"), what="the settle job")
            await wait_until(lambda: _no_pending(number), what="every movement settled")
            assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 5490)]
            assert len(paypal.refunds) == 1, "refunded once"


async def _status_is(number: str, status: str) -> bool:
    return await order_status(number) == status


async def _no_pending(number: str) -> bool:
    return not any(status == "pending" for _, status, _ in await ledger(number))
