"""The payment contract with a stand-in gateway (a test plugin): the ledger
is written before each gateway call, refunds never exceed what was captured,
an amount or currency that does not match flags the order for staff, an
unknown outcome is settled by the job with the same key, the reconciliation
cron asks the provider, the return endpoint needs the order's token, the
gateway's capabilities limit what staff may do, and the manual method shows
the merchant's bank details. SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import time

import pytest

from engine.db.sql import fetch, fetchone
from engine.defaults.core_orders import reconcile_payments
from engine.protocols import (
    GatewayCapabilities,
)
from engine.testing.checkout import add_product, cart_with, checkout
from standin_gateway import report, standin_shop


@pytest.fixture
async def shop(database_url, make_app):
    return await standin_shop(make_app, database_url)


@pytest.fixture
async def headers(shop):
    from engine.testing import api_token

    return {"Authorization": f"Bearer {await api_token('payments', ['orders:write'])}"}


async def place(shop) -> dict:
    client = shop.test_client()
    response = await checkout(client, await cart_with(client, "TEE-1", 2), payment_method="standin")
    assert response.status_code == 201, await response.get_json()
    return await response.get_json()


async def admin(shop, headers, number, action, body=None):
    response = await shop.test_client().post(f"/api/v1/admin/orders/{number}/{action}", headers=headers,
                                             json=body or {})
    return response.status_code, await response.get_json()


async def order_row(number):
    return await fetchone("SELECT * FROM orders WHERE number = {}", number)


async def ledger(number):
    rows = await fetch("SELECT t.* FROM payment_transactions t JOIN orders o ON o.id = t.order_id "
                       "WHERE o.number = {} ORDER BY t.id", number)
    return [(r["kind"], r["status"], r["amount"]) for r in rows]


async def test_a_paid_report_that_does_not_match_the_order_flags_it_and_does_not_mark_it_paid(shop, headers):
    order = await place(shop)
    number, reference = order["number"], order["payment"]["reference"]
    short = await report(shop, id="evt_short", reference=reference, status="paid", amount=100, provider_id="ch_1")
    assert short["result"] == "applied"
    row = await order_row(number)
    assert row["status"] == "pending_payment" and row["paid_amount"] == 0
    foreign = await report(shop, id="evt_usd", reference=reference, status="paid", amount=5490, currency="USD")
    assert foreign["status"] == "applied"
    assert await ledger(number) == [("capture", "succeeded", 100)], "the money that moved is on the ledger"
    view = await (await shop.test_client().get(f"/api/v1/admin/orders/{number}", headers=headers)).get_json()
    assert view["status"] == "pending_payment"
    assert "not marked paid" in view["money"]["flag"] and "USD" in view["money"]["flag"]
    assert [e["kind"] for e in view["events"]].count("flag") == 2
    assert (await fetchone("SELECT COUNT(*) AS n FROM outbox_events WHERE name = 'order_paid'"))["n"] == 0


async def test_refunds_never_exceed_what_was_captured(shop, headers):
    order = await place(shop)
    number, reference = order["number"], order["payment"]["reference"]
    await report(shop, id="evt_paid", reference=reference, status="paid", amount=5490, provider_id="ch_1")
    # Two staff members refund 3000 at once: one refund. The second either finds
    # the first still pending (a retry of it: 200) or done (too much: 422).
    racing = await asyncio.gather(*(admin(shop, headers, number, "refund", {"amount": 3000}) for _ in range(2)))
    assert sorted(status for status, _ in racing) in ([200, 200], [200, 422])
    assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 3000)]
    status, problem = await admin(shop, headers, number, "refund", {"amount": 2491})
    assert status == 422 and "between 1 and 2490" in problem["detail"]
    # the provider reports a refund larger than what is left: clipped and flagged
    big = await report(shop, id="evt_big", reference=reference, status="refunded", amount=4000, provider_id="re_x")
    assert big["result"] == "applied"
    row = await order_row(number)
    assert (row["status"], row["refunded_amount"]) == ("refunded", 5490)
    assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 3000),
                                    ("refund", "succeeded", 2490)]
    assert "more than the 2490 left" in (await fetchone("SELECT flag FROM payments"))["flag"]
    assert shop.gateway.moved == [("refund", 3000)]


async def test_an_unknown_outcome_is_settled_by_the_job_with_the_same_key(shop, headers):
    order = await place(shop)
    number, reference = order["number"], order["payment"]["reference"]
    await report(shop, id="evt_auth", reference=reference, status="authorized", amount=5490, provider_id="ch_1")
    shop.gateway.fail_next = 3
    status, problem = await admin(shop, headers, number, "capture")
    assert status == 502 and problem["title"] == "Payment provider not answering"
    assert "retried with the same idempotency key" in problem["detail"]
    assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "pending", 5490)]
    await shop.runtime.queue.drain()
    assert (await order_row(number))["status"] == "paid"
    assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "succeeded", 5490)]
    keys = {key for what, key in shop.gateway.keys if what == "capture"}
    assert len(keys) == 1 and len(shop.gateway.keys) == 4, shop.gateway.keys
    assert shop.gateway.moved == [("capture", 5490)]
    # the provider's own report of that capture changes nothing
    again = await report(shop, id="evt_cap", reference=reference, status="paid", amount=5490,
                         provider_id=f"cap_{keys.pop()}")
    assert again["result"] == "unchanged"


async def test_the_reconciliation_cron_asks_the_provider_about_pending_payments(shop):
    order = await place(shop)
    number = order["number"]
    runtime = shop.runtime
    assert await reconcile_payments({"runtime": runtime}) == {"retried": 0, "asked": 0}, "nothing stale yet"
    shop.gateway.state = "paid"
    runtime.clock = lambda: time.time() + 3600
    assert await reconcile_payments({"runtime": runtime}) == {"retried": 0, "asked": 1}
    assert (await order_row(number))["status"] == "paid"
    assert await reconcile_payments({"runtime": runtime}) == {"retried": 0, "asked": 0}
    assert await ledger(number) == [("capture", "succeeded", 5490)]


async def test_the_return_endpoint_completes_for_the_token_holder_only(shop):
    order = await place(shop)
    number, token = order["number"], order["access_token"]
    client = shop.test_client()
    assert order["payment"]["kind"] == "redirect" and order["payment"]["url"].endswith(number)
    stranger = await client.get(f"/checkout/return/standin_pay?order={number}&token=wrong")
    assert stranger.status_code == 404
    shop.gateway.state = "paid"
    back = await client.get(f"/checkout/return/standin_pay?order={number}&token={token}")
    assert back.status_code == 303 and back.headers["Location"] == f"/orders/{number}?token={token}"
    assert (await order_row(number))["status"] == "paid"
    other = await client.get(f"/checkout/return/core_payments?order={number}&token={token}")
    assert other.status_code == 404


async def test_capabilities_limit_what_staff_may_do(shop, headers):
    order = await place(shop)
    number, reference = order["number"], order["payment"]["reference"]
    await report(shop, id="evt_auth", reference=reference, status="authorized", amount=5490, provider_id="ch_1")
    shop.gateway.capabilities = GatewayCapabilities(authorize_then_capture=True, partial_capture=False,
                                                    partial_refund=False, flow="redirect")
    status, problem = await admin(shop, headers, number, "capture", {"amount": 1000})
    assert status == 422 and "whole authorized amount" in problem["detail"]
    assert (await admin(shop, headers, number, "capture"))[0] == 200
    status, problem = await admin(shop, headers, number, "refund", {"amount": 1000})
    assert status == 422 and "whole payment only" in problem["detail"]
    status, refunded = await admin(shop, headers, number, "refund")
    assert status == 200 and refunded["status"] == "refunded"
    assert refunded["money"]["capabilities"]["partial_refund"] is False


async def test_the_manual_method_shows_the_merchants_bank_details(database_url, make_app):
    app = await make_app(database_url=database_url)
    await app.runtime.host.configure("core_payments", {"account_holder": "Linen & Co", "iban": "DE89370400440532013000",
                                                       "bic": "COBADEFFXXX"})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    client = app.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"))).get_json()
    instructions = order["payment"]["instructions"]
    assert "Please pay 29.90 EUR" in instructions and f"order {order['number']}" in instructions
    assert "Account holder: Linen & Co; IBAN: DE89370400440532013000; BIC: COBADEFFXXX." in instructions
    page = await client.get(f"/orders/{order['number']}?token={order['access_token']}")
    assert "IBAN: DE89370400440532013000" in (await page.get_data(as_text=True))
    await app.runtime.host.configure("core_payments", {"instructions": "Pay {total} to {iban} ({account_holder})."})
    again = await (await checkout(client, await cart_with(client, "TEE-1"))).get_json()
    assert again["payment"]["instructions"] == "Pay 29.90 EUR to DE89370400440532013000 (Linen & Co)."


async def test_the_reconciliation_retries_unknown_movements_then_gives_up_after_a_day(shop, headers):
    order = await place(shop)
    number, reference = order["number"], order["payment"]["reference"]
    await report(shop, id="evt_auth", reference=reference, status="authorized", amount=5490, provider_id="ch_1")
    shop.gateway.fail_next = 100  # the provider stays silent
    runtime = shop.runtime
    assert (await admin(shop, headers, number, "capture"))[0] == 502
    assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "pending", 5490)]
    runtime.clock = lambda: time.time() + 3600
    assert await reconcile_payments({"runtime": runtime}) == {"retried": 1, "asked": 0}
    runtime.clock = lambda: time.time() + 25 * 3600
    assert await reconcile_payments({"runtime": runtime}) == {"retried": 0, "asked": 0}
    assert await ledger(number) == [("authorization", "succeeded", 5490), ("capture", "failed", 5490)]
    assert "no longer retried" in (await fetchone("SELECT flag FROM payments"))["flag"]
    assert (await order_row(number))["status"] == "pending_payment"


async def test_a_provider_refund_matching_a_pending_one_of_the_shop_is_not_clipped(shop, headers):
    order = await place(shop)
    number, reference = order["number"], order["payment"]["reference"]
    await report(shop, id="evt_paid", reference=reference, status="paid", amount=5490, provider_id="ch_1")
    shop.gateway.fail_next = 100
    assert (await admin(shop, headers, number, "refund"))[0] == 502
    # the provider's report of that refund carries its own id, not the shop's key
    done = await report(shop, id="evt_ref", reference=reference, status="refunded", amount=5490, provider_id="re_9")
    assert done["result"] == "applied"
    assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 5490)]
    assert (await order_row(number))["status"] == "refunded"
    assert not (await fetchone("SELECT flag FROM payments"))["flag"]


async def test_staff_marking_an_online_payment_paid_then_its_capture_report_is_flagged(shop, headers):
    order = await place(shop)
    number, reference = order["number"], order["payment"]["reference"]
    assert (await admin(shop, headers, number, "mark-paid"))[0] == 200
    await report(shop, id="evt_paid", reference=reference, status="paid", amount=5490, provider_id="ch_1")
    row = await order_row(number)
    assert (row["status"], row["paid_amount"]) == ("paid", 10980)
    assert "more than the order's total" in (await fetchone("SELECT flag FROM payments"))["flag"]


async def test_a_refund_with_an_idempotency_key_is_made_once(shop, headers):
    order = await place(shop)
    number, reference = order["number"], order["payment"]["reference"]
    await report(shop, id="evt_paid", reference=reference, status="paid", amount=5490, provider_id="ch_1")
    keyed = {**headers, "Idempotency-Key": "refund-1"}
    client = shop.test_client()
    first = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=keyed, json={"amount": 1000})
    again = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=keyed, json={"amount": 1000})
    assert (first.status_code, again.status_code) == (200, 200)
    assert (await again.get_json())["totals"]["refunded"] == 1000
    other = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=keyed, json={"amount": 2000})
    assert other.status_code == 422 and "already used" in (await other.get_json())["detail"]
    assert shop.gateway.moved == [("refund", 1000)]
    assert await ledger(number) == [("capture", "succeeded", 5490), ("refund", "succeeded", 1000)]


async def test_a_gateway_is_offered_only_in_the_currencies_it_lists(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 1)
    offered = lambda: client.get(f"/api/v1/carts/{cart}/payment-methods")  # noqa: E731
    assert "standin" in [m["id"] for m in (await (await offered()).get_json())["items"]]
    shop.gateway.capabilities = GatewayCapabilities(flow="redirect", currencies=frozenset({"INR", "USD"}))
    assert "standin" not in [m["id"] for m in (await (await offered()).get_json())["items"]]
    refused = await checkout(client, cart, payment_method="standin")
    assert refused.status_code == 422 and "payment_method" in (await refused.get_json())["errors"]
    shop.gateway.capabilities = GatewayCapabilities(flow="redirect", currencies=frozenset({"EUR"}))
    assert (await checkout(client, cart, payment_method="standin")).status_code == 201
