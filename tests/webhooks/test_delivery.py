"""Outgoing webhooks end to end: admin API → catalog change → outbox → jobs →
a real HTTP receiver on 127.0.0.1 that is down first, then up."""
from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from engine.db.sql import fetch, fetchval
from engine.webhooks.signing import HEADER, InvalidSignature, verify

FAST = {"retry_base_seconds": 0.1, "retry_max_delay_seconds": 0.4, "timeout_seconds": 5}
TYPES = ["product.created", "product.updated", "stock.changed"]

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


def product(slug: str, sku: str, price: int = 1900, stock: int = 5) -> dict:
    return {"slug": slug, "title": slug.replace("-", " ").title(), "status": "published",
            "variants": [{"sku": sku, "options": {"size": "M"}, "price": {"amount": price}, "stock": stock}]}


async def subscribe(client, headers, url: str, **extra) -> dict:
    response = await client.post("/api/v1/admin/webhooks", headers=headers,
                                 json={"url": url, "event_types": TYPES, **extra})
    assert response.status_code == 201, await response.get_data()
    return await response.get_json()


async def make_changes(client, headers) -> None:
    """product.created (+ stock.changed), product.updated (price), stock.changed."""
    response = await client.post("/api/v1/admin/products", headers=headers, json=product("linen-tee", "TEE-M"))
    assert response.status_code == 201, await response.get_data()
    response = await client.put("/api/v1/admin/variants/TEE-M/price", headers=headers, json={"amount": 2500})
    assert response.status_code == 200, await response.get_data()
    response = await client.put("/api/v1/admin/variants/TEE-M/stock/default", headers=headers, json={"on_hand": 3})
    assert response.status_code == 200, await response.get_data()


async def expected_event_ids(subscription: dict) -> set[str]:
    start = await fetchval("SELECT start_event_id FROM webhook_subscriptions WHERE id = {}", subscription["id"])
    rows = await fetch("SELECT id FROM outbox_events WHERE id > {} AND name IN ('product_saved', 'stock_changed')",
                       start)
    return {f"evt_{row['id']}" for row in rows}


async def failed_attempts() -> int:
    return int(await fetchval("SELECT COUNT(*) FROM webhook_attempts WHERE status_code IS NULL OR status_code >= 300"))


async def all_succeeded() -> bool:
    counts = {row["status"]: row["n"] for row in
              await fetch("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status")}
    return bool(counts) and set(counts) == {"succeeded"}


def check_requests(receiver, secret: str, expected: set[str]) -> None:
    """Every request is validly signed and self-consistent; every expected
    event was answered 2xx exactly once, and nothing else was sent."""
    for request in receiver.requests:
        verify(secret, request.headers[HEADER.lower()], request.body)
        assert request.json["id"] == request.event_id
        assert request.json["type"] == request.headers["shopwright-event-type"]
        assert request.json["type"] in TYPES
    delivered = Counter(r.event_id for r in receiver.delivered())
    assert set(delivered) == expected
    assert set(delivered.values()) == {1}, delivered
    assert {r.event_id for r in receiver.requests} == expected


async def test_receiver_down_then_up_gets_every_event_once_signed(database_url, receiver, make_app,
                                                                  admin_token, wait):
    app = await make_app(database_url=database_url, webhooks=FAST)
    client = app.test_client()
    headers = await admin_token("plugins:write,catalog:write")
    subscription = await subscribe(client, headers, receiver.url)
    assert subscription["secret"].startswith("whsec_")

    await make_changes(client, headers)  # the receiver is down: connections are refused
    await wait(lambda: failed_attempts(), timeout=60)
    await wait(lambda: _at_least(failed_attempts, 4), timeout=60)
    receiver.fail_next = 2  # then up, answering 503 twice
    await receiver.start()
    await wait(all_succeeded, timeout=30)

    expected = await expected_event_ids(subscription)
    assert len(expected) == 4  # created, its stock, the price change, the stock change
    check_requests(receiver, subscription["secret"], expected)
    assert sum(1 for r in receiver.requests if r.status == 503) == 2

    listing = await (await client.get("/api/v1/admin/webhooks/deliveries", headers=headers)).get_json()
    assert {d["status"] for d in listing["items"]} == {"succeeded"}
    retried = max(listing["items"], key=lambda d: d["attempts"])
    assert retried["attempts"] >= 2
    detail = await (await client.get(f"/api/v1/admin/webhooks/deliveries/{retried['id']}", headers=headers)).get_json()
    log = detail["attempt_log"]
    assert len(log) == retried["attempts"]
    assert log[-1]["status_code"] == 200 and log[-1]["error"] is None
    assert all(a["status_code"] != 200 and a["error"] for a in log[:-1])
    assert all(a["duration_ms"] >= 0 for a in log)
    assert detail["payload"]["id"] == detail["event_id"]
    gaps = [a["started_at"] for a in log]
    assert gaps == sorted(gaps)


async def _at_least(counter, n: int) -> bool:
    return await counter() >= n


async def test_arq_burst_worker_delivers_after_outage(database_url, redis_url, receiver, make_app,
                                                      admin_token, wait):
    """The same on Redis: the web app only relays; an arq burst worker runs
    dispatch, deliveries and their deferred retries."""
    from engine.jobs.arq_queue import make_worker
    from engine.outbox import pending_count

    app = await make_app(database_url=database_url, redis_url=redis_url, webhooks=FAST)
    client = app.test_client()
    headers = await admin_token("plugins:write,catalog:write")
    subscription = await subscribe(client, headers, receiver.url)
    await make_changes(client, headers)
    await wait(lambda: _relayed(app.runtime, pending_count), timeout=60)

    async def bring_up_after_failures():
        await wait(lambda: _at_least(failed_attempts, 3), timeout=30)
        receiver.fail_next = 1
        await receiver.start()

    worker = make_worker(app.runtime, burst=True)
    helper = asyncio.create_task(bring_up_after_failures())
    try:
        await asyncio.wait_for(worker.main(), 60)
    finally:
        await worker.close()
        helper.cancel()
    assert await all_succeeded()
    expected = await expected_event_ids(subscription)
    assert len(expected) == 4
    check_requests(receiver, subscription["secret"], expected)
    assert worker.jobs_failed == 0


async def _relayed(runtime, pending_count) -> bool:
    await runtime.relay_now()
    return await pending_count() == 0


async def test_ordered_subscription_delivers_one_at_a_time_in_event_order(database_url, receiver, make_app,
                                                                          admin_token, wait):
    app = await make_app(database_url=database_url, webhooks=FAST)
    client = app.test_client()
    headers = await admin_token("all")
    await receiver.start()
    receiver.fail_next = 3
    subscription = await subscribe(client, headers, receiver.url, ordered=True)
    response = await client.post("/api/v1/admin/products", headers=headers, json=product("tee", "TEE-1"))
    assert response.status_code == 201
    for quantity in range(6):
        response = await client.put("/api/v1/admin/variants/TEE-1/stock/default", headers=headers,
                                    json={"on_hand": quantity})
        assert response.status_code == 200
    await wait(all_succeeded, timeout=30)
    expected = await expected_event_ids(subscription)
    assert len(expected) == 8
    check_requests(receiver, subscription["secret"], expected)
    order = [int(r.event_id.removeprefix("evt_")) for r in receiver.requests]
    # one at a time: a request for a later event only after the earlier one got 200
    delivered_order = [int(r.event_id.removeprefix("evt_")) for r in receiver.delivered()]
    assert delivered_order == sorted(delivered_order)
    first_success = {}
    for index, request in enumerate(receiver.requests):
        if request.status == 200:
            first_success.setdefault(request.event_id, index)
    for index, event in enumerate(order):
        earlier = [e for e in delivered_order if e < event]
        assert all(first_success[f"evt_{e}"] < index for e in earlier), (order, index)


async def test_request_is_not_blocked_by_a_slow_receiver(database_url, make_app, admin_token):
    """The change commits and answers while the receiver has not answered yet."""
    hanging: list[asyncio.StreamWriter] = []

    async def never_answer(reader, writer):
        hanging.append(writer)
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    app = None
    try:
        app = await make_app(database_url=database_url, webhooks={**FAST, "timeout_seconds": 20})
        client = app.test_client()
        headers = await admin_token("all")
        await subscribe(client, headers, f"http://127.0.0.1:{port}/")
        started = time.monotonic()
        response = await client.post("/api/v1/admin/products", headers=headers, json=product("slow", "SLOW-1"))
        for _ in range(40):
            if hanging:
                break
            await asyncio.sleep(0.05)
        assert response.status_code == 201
        assert hanging, "the delivery went out in the background"
        assert time.monotonic() - started < 5
    finally:
        if app is not None:
            await app.runtime.queue.close()  # cancels the hanging attempt before the receiver goes away
        server.close()
        for writer in hanging:
            writer.close()


def test_signature_verification_rejects_tampering():
    from engine.webhooks.signing import signature_header

    body = b'{"id":"evt_1"}'
    header = signature_header(["whsec_new", "whsec_old"], body, timestamp=1_700_000_000)
    assert header.count("v1=") == 2
    assert verify("whsec_new", header, body, now=1_700_000_010) == 1_700_000_000
    assert verify("whsec_old", header, body, now=1_700_000_010) == 1_700_000_000
    for secret, data, now in [("whsec_other", body, 1_700_000_010), ("whsec_new", body + b" ", 1_700_000_010),
                              ("whsec_new", body, 1_700_000_000 + 301)]:
        with pytest.raises(InvalidSignature):
            verify(secret, header, data, now=now)
    with pytest.raises(InvalidSignature):
        verify("whsec_new", "v1=abc", body)


async def test_order_events_reach_an_ordered_subscriber_in_order(database_url, receiver, make_app, admin_token, wait):
    """Checkout, payment and shipment of a real order become order.created,
    order.paid and order.fulfilled, delivered in that order after an outage."""
    from engine.testing.checkout import add_product, cart_with, checkout

    app = await make_app(database_url=database_url, webhooks=FAST)
    client = app.test_client()
    headers = await admin_token("all")
    response = await client.post("/api/v1/admin/webhooks", headers=headers, json={
        "url": receiver.url, "event_types": ["order.created", "order.paid", "order.fulfilled"], "ordered": True})
    secret = (await response.get_json())["secret"]
    await add_product(app.runtime, "MUG-1", price=1500, stock=4)
    cart = await cart_with(client, "MUG-1", 2)
    placed = await checkout(client, cart)
    assert placed.status_code in (200, 201), await placed.get_data()
    number = (await placed.get_json())["number"]
    assert (await client.post(f"/api/v1/admin/orders/{number}/mark-paid", headers=headers, json={})).status_code == 200
    shipped = await client.post(f"/api/v1/admin/orders/{number}/fulfillments", headers=headers, json={})
    assert shipped.status_code == 201, await shipped.get_data()
    await wait(lambda: _at_least(failed_attempts, 2), timeout=60)
    await receiver.start()
    await wait(all_succeeded, timeout=30)
    delivered = receiver.delivered()
    assert [r.json["type"] for r in delivered] == ["order.created", "order.paid", "order.fulfilled"]
    assert {r.json["data"]["number"] for r in delivered} == {number}
    assert len({r.event_id for r in delivered}) == 3
    for request in receiver.requests:
        verify(secret, request.headers[HEADER.lower()], request.body)
