"""PayPal webhooks through the shop's ``POST /webhooks/payments_paypal``,
verified by the stand-in's verify-webhook-signature API: a rejected
signature or a certificate URL off PayPal's hosts changes nothing (400), a
redelivered event counts once, an approval webhook captures the order like
the buyer's return would."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from paypal_standin import sign_webhook, webhook_event
from test_payments import PLUGIN, come_back, deliver, ledger, order_status, place

from engine.testing import api_token, fetchval
from engine.testing.checkout import add_product

pytestmark = pytest.mark.timeout(120)


def completed(paypal, reference: str, capture_id: str = "3C6CAPTURED") -> dict:
    """The capture PayPal reports for an order (what PAYMENT.CAPTURE.COMPLETED carries)."""
    amount = paypal.orders[reference]["purchase_units"][0]["amount"]
    return {"id": capture_id, "status": "COMPLETED", "amount": dict(amount), "final_capture": True,
            "supplementary_data": {"related_ids": {"order_id": reference}}}


async def test_a_webhook_the_verify_api_rejects_changes_nothing(paypal, paypal_shop, database_url):
    async with paypal_shop(paypal, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-forged-1")
            number, reference = order["number"], order["payment"]["reference"]
            event = webhook_event("PAYMENT.CAPTURE.COMPLETED", completed(paypal, reference))
            forged = await deliver(client, event, forged=True)
            assert forged.status_code == 400
            assert len(paypal.verifications) == 1, "PayPal's verify API was asked"
            other_webhook = await deliver(client, event, webhook_id="WH-SOMEONE-ELSE")
            assert other_webhook.status_code == 400
            # A certificate URL off PayPal's hosts is refused without asking PayPal.
            for cert in ("https://evil.example/cert.pem", "http://api.paypal.com/cert",
                         "https://paypal.com.evil.example/cert"):
                assert (await deliver(client, event, cert_url=cert)).status_code == 400
            assert len(paypal.verifications) == 2
            assert await order_status(number) == "pending_payment"
            assert await ledger(number) == []
            assert await fetchval("SELECT COUNT(*) FROM payment_events WHERE plugin = {}", PLUGIN) == 0


async def test_the_same_webhook_three_times_records_one_payment(paypal, paypal_shop, database_url):
    async with paypal_shop(paypal, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-thrice-1")
            number, reference = order["number"], order["payment"]["reference"]
            event = webhook_event("PAYMENT.CAPTURE.COMPLETED", completed(paypal, reference))
            answers = [await deliver(client, event) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 200]
            assert await order_status(number) == "paid"
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1
            # The same capture in a new event (another delivery id) changes nothing either.
            again = webhook_event("PAYMENT.CAPTURE.COMPLETED", completed(paypal, reference))
            assert (await deliver(client, again)).status_code == 200
            assert await ledger(number) == [("capture", "succeeded", 5490)]


async def test_order_approved_webhook_captures_and_the_return_then_changes_nothing(paypal, paypal_shop, sqlite_url):
    async with paypal_shop(paypal, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-approved-1")
            number, reference = order["number"], order["payment"]["reference"]
            back = paypal.approve(reference)  # the buyer approved but has not come back yet
            approved = webhook_event("CHECKOUT.ORDER.APPROVED", dict(paypal.orders[reference]))
            assert (await deliver(client, approved)).status_code == 200
            assert await order_status(number) == "paid"
            capture_id = next(iter(paypal.captures))
            # PayPal's capture webhook and the buyer's return: nothing more.
            done = webhook_event("PAYMENT.CAPTURE.COMPLETED", paypal.captures[capture_id])
            assert (await deliver(client, done)).status_code == 200
            assert (await client.get(back.removeprefix(base_url))).status_code == 303
            assert len(paypal.captures) == 1
            assert await ledger(number) == [("capture", "succeeded", 5490)]


async def test_denied_capture_and_voided_authorization_webhooks(paypal, paypal_shop, sqlite_url):
    async with paypal_shop(paypal, sqlite_url, intent="authorize") as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-voided-1")
            number, reference = order["number"], order["payment"]["reference"]
            await client.get(paypal.approve(reference).removeprefix(base_url))
            auth = next(iter(paypal.authorizations.values()))
            voided = webhook_event("PAYMENT.AUTHORIZATION.VOIDED", {**auth, "status": "VOIDED"})
            assert (await deliver(client, voided)).status_code == 200
            rows = await ledger(number)
            assert [(kind, status) for kind, status, _ in rows] == [("authorization", "succeeded"),
                                                                   ("void", "succeeded")]

            other = await place(client, "paypal-denied-1")
            denied = {**completed(paypal, other["payment"]["reference"], "3C6DENIED"), "status": "DECLINED"}
            answer = await deliver(client, webhook_event("PAYMENT.CAPTURE.DENIED", denied))
            assert answer.status_code == 200
            assert await order_status(other["number"]) == "pending_payment"
            # The core records a failed payment report as a failed attempt; no money moved.
            assert [s for _, s, _ in await ledger(other["number"])] == ["failed"]


async def test_a_dispute_flags_the_order_for_staff(paypal, paypal_shop, database_url):
    async with paypal_shop(paypal, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('paypal disputes', ['orders:read'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-dispute-1")
            number, reference = order["number"], order["payment"]["reference"]
            assert (await come_back(client, paypal.approve(reference))).status_code == 303
            [capture_id] = [c for c, capture in paypal.captures.items()
                            if capture["supplementary_data"]["related_ids"]["order_id"] == reference]
            dispute = {"dispute_id": "PP-D-4711", "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
                       "status": "OPEN", "dispute_amount": {"currency_code": "EUR", "value": "54.90"},
                       "disputed_transactions": [{"seller_transaction_id": capture_id}]}
            assert (await deliver(client, webhook_event("CUSTOMER.DISPUTE.CREATED", dispute))).status_code == 200
            view = (await client.get(f"/api/v1/admin/orders/{number}", headers=headers)).json()
            assert "disputed" in view["money"]["flag"] and view["payment"]["flag"]
            assert view["status"] == "paid", "a dispute moves no money until it is decided"
            assert await ledger(number) == [("capture", "succeeded", 5490)]


async def test_unhandled_events_are_acknowledged(paypal, paypal_shop, sqlite_url):
    async with paypal_shop(paypal, sqlite_url) as (_, base_url), \
            httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        body, headers = sign_webhook(webhook_event("CUSTOMER.DISPUTE.UPDATED", {"dispute_id": "PP-D-1"}))
        answer = await client.post(f"/webhooks/{PLUGIN}", content=body, headers=headers)
        assert answer.status_code == 200, answer.text


async def test_verify_api_down_answers_5xx_so_paypal_redelivers(paypal, paypal_shop, sqlite_url):
    async with paypal_shop(paypal, sqlite_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-verify-down-1")
            number, reference = order["number"], order["payment"]["reference"]
            event = webhook_event("PAYMENT.CAPTURE.COMPLETED", completed(paypal, reference))
            paypal.fail("/v1/notifications/verify-webhook-signature", 503)
            down = await deliver(client, event)
            assert down.status_code >= 500, down.text
            assert await ledger(number) == []
            assert (await deliver(client, event)).status_code == 200  # PayPal's redelivery
            assert await ledger(number) == [("capture", "succeeded", 5490)]


async def test_three_deliveries_racing_the_return_record_one_payment(paypal, paypal_shop, database_url):
    async with paypal_shop(paypal, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "paypal-race-1")
            number, reference = order["number"], order["payment"]["reference"]
            back = paypal.approve(reference)
            approved = webhook_event("CHECKOUT.ORDER.APPROVED", dict(paypal.orders[reference]))
            answers = await asyncio.gather(*(deliver(client, approved) for _ in range(3)),
                                           client.get(back.removeprefix(base_url)))
            assert [a.status_code for a in answers] == [200, 200, 200, 303]
            assert len(paypal.captures) == 1
            assert await ledger(number) == [("capture", "succeeded", 5490)]
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1
            assert await fetchval("SELECT on_hand FROM catalog_stock") == 3, "stock deducted once"
