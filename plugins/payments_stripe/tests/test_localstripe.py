"""The Stripe gateway through the official SDK over real HTTP against
localstripe on 127.0.0.1, with the shop served by Hypercorn so localstripe's
signed webhooks reach it.

localstripe sends ``payment_intent.succeeded`` / ``payment_failed`` itself
(about a second after the change, once); it sends no refund, cancel or
dispute events, so those are built and signed by the test exactly as Stripe
signs them (``sign``), carrying the ids localstripe gave the refund or intent.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import httpx
import pytest

from engine.testing import api_token, fetch, fetchone, fetchval
from engine.testing.admin import PASSWORD, create_staff_member
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



async def test_manual_capture_partial_capture_and_its_webhook(localstripe, stripe_shop, database_url):
    async with stripe_shop(localstripe, database_url, capture="manual") as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('stripe tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "stripe-manual-1")
            number, reference = order["number"], order["payment"]["reference"]
            assert (await localstripe.get(f"/v1/payment_intents/{reference}"))["capture_method"] == "manual"
            assert (await localstripe.pay(reference))["status"] == "requires_capture"
            # localstripe sends no event for an authorization: the shopper's return reports it.
            returned = await client.get(f"/checkout/return/{PLUGIN}", params={
                "order": number, "token": order["access_token"], "payment_intent": reference})
            assert returned.status_code == 303
            view = (await client.get(f"/api/v1/admin/orders/{number}", headers=headers)).json()
            assert view["status"] == "pending_payment" and view["payment"]["status"] == "authorized"
            assert view["money"]["authorized"] == 5490 and view["money"]["capturable"] == 5490
            assert view["money"]["capabilities"]["partial_capture"] is True

            too_much = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers,
                                         json={"amount": 6000})
            assert too_much.status_code == 422 and too_much.headers["content-type"] == "application/problem+json"
            captured = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers,
                                         json={"amount": 5000})
            assert captured.status_code == 200, captured.text
            assert captured.json()["status"] == "paid" and captured.json()["totals"]["paid"] == 5000
            assert (await localstripe.get(f"/v1/payment_intents/{reference}"))["status"] == "succeeded"
            again = await client.post(f"/api/v1/admin/orders/{number}/capture", headers=headers)
            assert again.status_code == 200 and again.json()["totals"]["paid"] == 5000, "capturing again: no change"
            # localstripe's payment_intent.succeeded after the capture reports the same charge: no change.
            await wait_for(lambda: _event_count("payment_intent.succeeded"), "localstripe's webhook")
            assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "succeeded", 5000)]
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1


async def _event_count(kind: str) -> int:
    rows = await fetch("SELECT outcome FROM payment_events WHERE plugin = {}", PLUGIN)
    return len(rows)


async def test_a_declined_card_fails_and_the_order_keeps_waiting(localstripe, stripe_shop, database_url):
    async with stripe_shop(localstripe, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "stripe-declined-1")
            number, reference = order["number"], order["payment"]["reference"]
            declined = await localstripe.pay(reference, "4000000000000341")
            assert declined.get("error", {}).get("code") == "card_declined" or declined.get("status") != "succeeded"
            await wait_for(lambda: _payment_status(number, "failed"), "the payment_failed webhook")
            assert await order_status(number) == "pending_payment"
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'payment_failed'") == 1
            returned = await client.get(f"/checkout/return/{PLUGIN}", params={
                "order": number, "token": order["access_token"], "payment_intent": reference})
            assert returned.status_code == 303
            assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'payment_failed'") == 1
            page = await client.get(returned.headers["location"])
            assert "Pay for your order" in page.text, "the shopper may try another card"


async def _payment_status(number: str, status: str) -> bool:
    row = await fetchone("SELECT p.status FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.number = {}",
                         number)
    return row["status"] == status


async def test_a_3d_secure_card_needs_the_shoppers_authentication(localstripe, stripe_shop, database_url):
    async with stripe_shop(localstripe, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "stripe-3ds-1")
            number, payment = order["number"], order["payment"]
            pending = await localstripe.pay(payment["reference"], "4000002760003184")
            assert pending["status"] == "requires_action"
            early = await client.get(f"/checkout/return/{PLUGIN}", params={
                "order": number, "token": order["access_token"]})
            assert early.status_code == 303 and await order_status(number) == "pending_payment"
            done = await localstripe.authenticate(payment["reference"], payment["client_secret"])
            assert done["status"] == "succeeded"
            returned = await client.get(f"/checkout/return/{PLUGIN}", params={
                "order": number, "token": order["access_token"], "payment_intent": payment["reference"]})
            assert returned.status_code == 303 and await order_status(number) == "paid"


async def test_webhook_signatures_tolerance_and_rotation(localstripe, stripe_shop, database_url):
    async with stripe_shop(localstripe, database_url, webhooks=False) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "stripe-signature-1")
            number, reference = order["number"], order["payment"]["reference"]
            await localstripe.pay(reference)
            intent = await localstripe.get(f"/v1/payment_intents/{reference}")
            payload = event("payment_intent.succeeded", intent, "evt_signed_1")

            forged = await deliver(client, payload, secret="whsec_someone_else")
            assert forged.status_code == 400 and forged.headers["content-type"] == "application/problem+json"
            stale = await deliver(client, payload, timestamp=int(time.time()) - 301)
            assert stale.status_code == 400 and "tolerance" in stale.json()["detail"]
            unsigned = await client.post(f"/webhooks/{PLUGIN}", content=b"{}",
                                         headers={"Content-Type": "application/json"})
            assert unsigned.status_code == 400
            assert await order_status(number) == "pending_payment", "nothing unverified changes the order"

            # During a secret rotation Stripe sends one v1 signature per secret.
            rotated = await deliver(client, payload, extra_signatures=("0" * 64,))
            assert rotated.status_code == 200 and rotated.json()["status"] == "applied"
            assert await order_status(number) == "paid"
            replay = await deliver(client, payload)
            assert replay.json()["status"] == "duplicate"


async def test_cancel_voids_the_intent_and_the_canceled_event_changes_nothing(localstripe, stripe_shop, database_url):
    async with stripe_shop(localstripe, database_url, capture="manual", webhooks=False) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('stripe tests', ['orders:write'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "stripe-cancel-1")
            number, reference = order["number"], order["payment"]["reference"]
            await localstripe.pay(reference)
            cancelled = await client.post(f"/api/v1/admin/orders/{number}/cancel", headers=headers, json={})
            assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
            intent = await localstripe.get(f"/v1/payment_intents/{reference}")
            assert intent["status"] == "canceled"
            assert await ledger(number) == [("void", "succeeded", 5490)]
            # Stripe reports the cancellation (localstripe sends no such event: signed by the test).
            reported = await deliver(client, event("payment_intent.canceled", intent))
            assert reported.status_code == 200 and reported.json()["result"] == "unchanged"
            assert await ledger(number) == [("void", "succeeded", 5490)]


async def test_a_dispute_flags_the_order_for_staff(localstripe, stripe_shop, database_url):
    async with stripe_shop(localstripe, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        headers = {"Authorization": f"Bearer {await api_token('stripe tests', ['orders:read'])}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            order = await place(client, "stripe-dispute-1")
            number, reference = order["number"], order["payment"]["reference"]
            await localstripe.pay(reference)
            await wait_for(lambda: _is(number, "paid"), "the payment_intent.succeeded webhook")
            dispute = {"id": "dp_test_1", "object": "dispute", "amount": 5490, "currency": "eur",
                       "payment_intent": reference, "reason": "fraudulent", "status": "needs_response"}
            assert (await deliver(client, event("charge.dispute.created", dispute))).status_code == 200
            view = (await client.get(f"/api/v1/admin/orders/{number}", headers=headers)).json()
            assert "disputed" in view["money"]["flag"] and view["payment"]["flag"]
            assert any(e["kind"] == "flag" for e in view["events"])
            assert view["status"] == "paid"


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return _CSRF.search(page.text).group(1)


async def _available(client: httpx.AsyncClient) -> int:
    product = (await client.get("/api/v1/products/tee-1")).json()
    return product["variants"][0]["quantity_available"]


async def test_a_returned_stripe_order_is_refunded_through_stripe(localstripe, stripe_shop, database_url):
    """Paid with Stripe, shipped; the shopper returns one unit, then the other;
    staff approve and receive each (restocking) and refund it from the order
    page, through the Stripe gateway: the refund ids localstripe gave are
    recorded, the order goes partially_refunded, then refunded."""
    async with stripe_shop(localstripe, database_url) as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="tee-1")
        token = await api_token("stripe returns", ["orders:read", "orders:write"])
        email = await create_staff_member(app, permissions=["orders:read", "orders:write"])
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as shopper, \
                httpx.AsyncClient(base_url=base_url, timeout=30) as staff:
            order = await place(shopper, "stripe-return-1")           # 2 × 25.00 + 4.90 shipping
            number, intent = order["number"], order["payment"]["reference"]
            await localstripe.pay(intent)
            await wait_for(lambda: _is(number, "paid"), "localstripe's payment_intent.succeeded webhook")
            shipped = await shopper.post(f"/api/v1/admin/orders/{number}/fulfillments", json={},
                                         headers={"Authorization": f"Bearer {token}"})
            assert shipped.status_code == 201, shipped.text
            assert await _available(shopper) == 3

            signed_in = await staff.post("/admin/login", data={
                "email": email, "password": PASSWORD, "csrf_token": await _csrf(staff, "/admin/login")})
            assert signed_in.status_code == 303, signed_in.text
            order_page = f"/orders/{number}?token={order['access_token']}"
            admin_page = f"/admin/orders/{number}"
            refund_ids = []
            for round_, (amount, status) in enumerate((("25.00", "partially_refunded"), ("29.90", "refunded")), 1):
                asked = await shopper.post(f"/orders/{number}/returns", data={
                    "csrf_token": await _csrf(shopper, order_page), "token": order["access_token"],
                    "qty.TEE-1": "1", "reason": "Too small"})
                assert asked.status_code == 303, asked.text
                [row] = await fetch("SELECT id FROM order_returns WHERE status = 'requested'")
                for step, extra in (("approve", {}), ("receive", {"restock": "yes"})):
                    done = await staff.post(f"{admin_page}/return", data={
                        "csrf_token": await _csrf(staff, admin_page), "return_id": str(row["id"]), "step": step,
                        **extra})
                    assert done.status_code == 303, (step, done.text)
                assert await _available(shopper) == 3 + round_, "the returned unit is back on hand"
                refunded = await staff.post(f"{admin_page}/refund", data={
                    "csrf_token": await _csrf(staff, admin_page), "amount": amount, "note": f"Return {round_}",
                    "refund_key": f"return-{round_}"})
                assert refunded.status_code == 303, refunded.text
                assert await order_status(number) == status
                [refund] = await fetch("SELECT t.provider_id, t.amount FROM payment_transactions t JOIN orders o "
                                       "ON o.id = t.order_id WHERE o.number = {} AND t.kind = 'refund' "
                                       "ORDER BY t.id DESC LIMIT 1", number)
                assert refund["provider_id"].startswith("re_") and refund["amount"] == int(amount.replace(".", ""))
                refund_ids.append(refund["provider_id"])

            at_stripe = await localstripe.get("/v1/refunds", payment_intent=intent)
            assert sorted((r["id"], r["amount"]) for r in at_stripe["data"]) == sorted(
                zip(refund_ids, (2500, 2990)))
            assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 2500),
                                            ("refund", "succeeded", 2990)]
            view = (await shopper.get(f"/api/v1/orders/{number}", params={"token": order["access_token"]})).json()
            assert view["status"] == "refunded" and [r["amount"]["amount"] for r in view["refunds"]] == [2500, 2990]
            returns = await fetch("SELECT status FROM order_returns ORDER BY id")
            assert [row["status"] for row in returns] == ["received", "received"]
