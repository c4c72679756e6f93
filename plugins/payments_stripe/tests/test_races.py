"""Races and outages: a payment is recorded once whichever report arrives
first, and a provider that fails or loses answers never makes the shop lose
an order or move money twice. Against localstripe on 127.0.0.1 through the
SDK, on SQLite and PostgreSQL.

- The same ``payment_intent.succeeded`` webhook three times, concurrently
  with the shopper's return (and localstripe's own delivery a second later):
  one capture, one ``order_paid``, stock deducted once.
- A refund made from the admin API while Stripe's refund webhook for it
  arrives (the answer held back until the webhook is in): counted once.
- A stand-in in front of localstripe (``FlakyStripe``) that is down or loses
  answers for the first calls, then answers — replaying a repeated
  ``Idempotency-Key`` as Stripe does, since localstripe ignores the header:
  the order survives a failed payment start, and a capture or refund whose
  answer was lost is settled by the job with the same key, once.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from engine.testing import api_token, fetch, fetchval
from engine.testing.checkout import add_product, checkout_body

sys.path.insert(0, str(Path(__file__).parent))
from stripe_support import PLUGIN, FlakyStripe, event, sign, wait_for

pytestmark = pytest.mark.timeout(120)


async def new_cart(client: httpx.AsyncClient) -> str:
    cart = (await client.post("/api/v1/carts")).json()["id"]
    assert (await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "TEE-1", "quantity": 2})).status_code == 201
    return cart


async def submit(client: httpx.AsyncClient, cart: str, key: str) -> httpx.Response:
    return await client.post(f"/api/v1/carts/{cart}/checkout", headers={"Idempotency-Key": key},
                             json=checkout_body(payment_method="stripe"))


async def ledger(number: str) -> list[tuple[str, str, int]]:
    rows = await fetch("SELECT t.kind, t.status, t.amount FROM payment_transactions t JOIN orders o "
                       "ON o.id = t.order_id WHERE o.number = {} ORDER BY t.id", number)
    return [(row["kind"], row["status"], row["amount"]) for row in rows]


async def status_of(number: str) -> str:
    return await fetchval("SELECT status FROM orders WHERE number = {}", number)


async def count(event_name: str) -> int:
    return await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = {}", event_name)


async def test_the_same_webhook_three_times_racing_the_return_records_one_payment(localstripe, stripe_shop,
                                                                                  database_url):
    async with stripe_shop(localstripe, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = (await submit(client, await new_cart(client), "race-1")).json()
            number, reference = order["number"], order["payment"]["reference"]
            assert (await localstripe.pay(reference))["status"] == "succeeded"
            intent = await localstripe.get(f"/v1/payment_intents/{reference}")
            body, headers = sign(event("payment_intent.succeeded", intent, "evt_race_1"))

            webhook = lambda: client.post(f"/webhooks/{PLUGIN}", content=body, headers=headers)
            back = client.get(f"/checkout/return/{PLUGIN}", params={
                "order": number, "token": order["access_token"], "payment_intent": reference})
            answers = await asyncio.gather(webhook(), back, webhook(), webhook())
            assert [a.status_code for a in answers] == [200, 303, 200, 200]
            webhooks = sorted(answers[i].json()["status"] for i in (0, 2, 3))
            assert webhooks == ["applied", "duplicate", "duplicate"]

            # localstripe's own delivery of the event comes about a second later
            await wait_for(lambda: _events_seen(2), "localstripe's payment_intent.succeeded")
            assert await status_of(number) == "paid"
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            assert (await count("order_paid"), await count("payment_captured")) == (1, 1)
            assert await fetchval("SELECT on_hand FROM catalog_stock") == 3, "stock deducted once"
            assert await fetchval("SELECT COUNT(*) FROM order_events WHERE to_status = 'paid'") == 1


async def _events_seen(n: int) -> bool:
    return await fetchval("SELECT COUNT(*) FROM payment_events WHERE plugin = {}", PLUGIN) >= n


async def test_a_refund_from_the_admin_api_and_its_webhook_arriving_meanwhile_count_once(localstripe, stripe_shop,
                                                                                         database_url):
    async with FlakyStripe(localstripe.url) as flaky, \
            stripe_shop(localstripe, database_url, api_base=flaky.url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('stripe tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = (await submit(client, await new_cart(client), "race-refund-1")).json()
            number, reference = order["number"], order["payment"]["reference"]
            await localstripe.pay(reference)
            await wait_for(lambda: _status_is(number, "paid"), "the payment webhook")

            flaky.plan("POST", "/v1/refunds", "hold")
            refunding = asyncio.create_task(client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers,
                                                        json={"amount": 2000}))
            refunds = await wait_for(lambda: _refunds(localstripe, reference), "the refund at Stripe")
            # Stripe's webhook for it arrives before the API call has its answer.
            intent = await localstripe.get(f"/v1/payment_intents/{reference}")
            body, signed = sign(event("refund.created", {**refunds[0], "payment_intent": reference}))
            reported = await client.post(f"/webhooks/{PLUGIN}", content=body, headers=signed)
            assert reported.json()["result"] == "applied"
            flaky.release.set()
            answer = await refunding
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "partially_refunded" and answer.json()["totals"]["refunded"] == 2000
            assert intent["id"] == reference
            assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 2000)]
            assert (await count("order_refunded"), await count("payment_refunded")) == (1, 1)
            assert len(await _refunds(localstripe, reference)) == 1


async def _status_is(number: str, status: str) -> bool:
    return await status_of(number) == status


async def _refunds(localstripe, reference: str) -> list[dict]:
    return (await localstripe.get("/v1/refunds", payment_intent=reference))["data"]


async def test_provider_down_or_losing_answers_loses_no_order_and_moves_money_once(localstripe, stripe_shop,
                                                                                   database_url):
    async with FlakyStripe(localstripe.url) as flaky, \
            stripe_shop(localstripe, database_url, api_base=flaky.url, capture="manual") as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('stripe tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            # Payment start: Stripe is down, then makes the intent but the answer is lost.
            flaky.plan("POST", "/v1/payment_intents", "down", "lose_answer")
            cart = await new_cart(client)
            for attempt in range(2):
                failed = await submit(client, cart, "outage-1")
                assert failed.status_code == 502, failed.text
                assert "was placed" in failed.json()["detail"] and "same Idempotency-Key" in failed.json()["detail"]
            order = (await submit(client, cart, "outage-1")).json()
            number, reference = order["number"], order["payment"]["reference"]
            assert order["payment"]["kind"] == "client_secret"
            assert await fetchval("SELECT COUNT(*) FROM orders") == 1, "no order lost, none doubled"
            intents = (await localstripe.get("/v1/payment_intents"))["data"]
            assert [i["id"] for i in intents if i["metadata"].get("order") == number] == [reference]
            await localstripe.pay(reference)
            returned = await client.get(f"/checkout/return/{PLUGIN}", params={
                "order": number, "token": order["access_token"], "payment_intent": reference})
            assert returned.status_code == 303

            # Capture: Stripe is down, then captures but the answer is lost; the job settles it.
            flaky.plan("POST", f"/v1/payment_intents/{reference}/capture", "down", "lose_answer")
            pending = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers)
            assert pending.status_code == 502 and pending.json()["title"] == "Payment provider not answering"
            assert await status_of(number) == "pending_payment"
            await wait_for(lambda: _status_is(number, "paid"), "the settle job's capture")
            assert (await localstripe.get(f"/v1/payment_intents/{reference}"))["status"] == "succeeded"

            # Refund: down, then the answer is lost; the job and the retried request reuse the key.
            flaky.plan("POST", "/v1/refunds", "down", "lose_answer")
            for _ in range(2):
                lost = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers,
                                         json={"amount": 1000})
                assert lost.status_code in (200, 502), lost.text
            await wait_for(lambda: _status_is(number, "partially_refunded"), "the settle job's refund")
            await wait_for(lambda: _no_pending(number), "every movement settled")

            assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "succeeded", 5490),
                                            ("refund", "succeeded", 1000)]
            assert [r["amount"] for r in await _refunds(localstripe, reference)] == [1000], "refunded once"
            assert await fetchval("SELECT refunded_amount FROM orders WHERE number = {}", number) == 1000
            keys = {key for method, path, key in flaky.calls if path == "/v1/refunds"}
            assert len(keys) == 1, "every refund attempt carried the same idempotency key"
            assert (await count("order_paid"), await count("order_refunded")) == (1, 1)


async def _no_pending(number: str) -> bool:
    return not any(status == "pending" for _, status, _ in await ledger(number))


async def test_a_refund_that_times_out_is_settled_once_after_recovery(localstripe, stripe_shop, database_url):
    settings = {"checkout": {"payment_timeout_seconds": 1}}
    async with FlakyStripe(localstripe.url) as flaky, \
            stripe_shop(localstripe, database_url, api_base=flaky.url, settings=settings) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('stripe tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = (await submit(client, await new_cart(client), "timeout-1")).json()
            number, reference = order["number"], order["payment"]["reference"]
            await localstripe.pay(reference)
            await wait_for(lambda: _status_is(number, "paid"), "the payment webhook")

            # Stripe refunds, but its answer takes longer than the shop waits.
            flaky.plan("POST", "/v1/refunds", "hold")
            timed_out = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers)
            assert timed_out.status_code == 502 and timed_out.json()["type"] == "/problems/payment-pending"
            assert await status_of(number) == "paid" and await ledger(number) == [
                ("capture", "succeeded", 5490), ("refund", "pending", 5490)]
            flaky.release.set()  # the provider recovers
            # The settle job retries with the same key (Stripe answers with the refund it made);
            # staff sending the same refund again meanwhile retries the same row.
            retried = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=headers)
            assert retried.status_code in (200, 409), retried.text  # 409: already refunded in full
            await wait_for(lambda: _status_is(number, "refunded"), "the settle job")
            assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 5490)]
            assert [r["amount"] for r in await _refunds(localstripe, reference)] == [5490], "refunded once"
            assert await count("order_refunded") == 1
