"""Stock reservations: atomic under concurrency, expire through the cron job,
become deductions when paid."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

from engine.catalog import reservations
from engine.db.sql import fetch, fetchone
from engine.testing.checkout import add_product
from engine.defaults.core_orders import RELEASE_JOB
from engine.orders import stock


async def stock_of(sku):
    return await fetchone("SELECT s.on_hand, s.reserved FROM catalog_stock s JOIN catalog_variants v "
                          "ON v.id = s.variant WHERE v.sku = {}", sku)


async def test_concurrent_reservations_never_go_below_zero(database_url, make_runtime):
    runtime = await make_runtime(database_url=database_url)
    product = await add_product(runtime, "HOT-1", stock=5)
    variant_id = product["variants"][0]["id"]
    outcomes = []

    async def buyer(units: int):
        try:
            async with runtime.database.transaction():
                allocations = await reservations.reserve(variant_id, "HOT-1", units)
                await asyncio.sleep(0.01)  # hold the row a little while others queue up
            outcomes.append(sum(a.quantity for a in allocations))
        except reservations.OutOfStock as exc:
            assert exc.sku == "HOT-1"
            outcomes.append(0)

    await asyncio.gather(*(buyer(units) for units in [2, 1, 3, 1, 2, 1, 1, 2, 3, 1, 1, 2]))
    row = await stock_of("HOT-1")
    assert sum(outcomes) == row["reserved"] <= 5
    assert row["on_hand"] == 5 and row["reserved"] >= 4  # greedy requests fill the shelf but never overfill it


async def test_a_reservation_spans_warehouses_and_rolls_back_whole(make_runtime):
    from engine.catalog import services as catalog

    runtime = await make_runtime()
    await catalog.save_warehouse(runtime, "north", "North")
    product = await add_product(runtime, "SPLIT-1", stock=2)
    await catalog.set_stock(runtime, "SPLIT-1", "north", 3)
    variant_id = product["variants"][0]["id"]
    async with runtime.database.transaction():
        allocations = await reservations.reserve(variant_id, "SPLIT-1", 4)
    assert sorted((a.warehouse, a.quantity) for a in allocations) == [("default", 2), ("north", 2)]
    with pytest.raises(reservations.OutOfStock) as caught:
        async with runtime.database.transaction():
            await reservations.reserve(variant_id, "SPLIT-1", 2)
    assert caught.value.available == 1
    rows = await fetch("SELECT reserved FROM catalog_stock s JOIN catalog_variants v ON v.id = s.variant "
                       "WHERE v.sku = 'SPLIT-1' ORDER BY s.warehouse")
    assert sum(r["reserved"] for r in rows) == 4, "the failed reservation left nothing behind"


async def test_holding_an_order_records_each_allocation_and_its_stock_event_in_order(database_url, make_runtime):
    """Lines locked in variant order, whatever the cart's; one reservation and
    one ``stock_changed`` event per stock row taken, the events in that order."""
    from engine.catalog import services as catalog

    runtime = await make_runtime(database_url=database_url)
    await catalog.save_warehouse(runtime, "north", "North")
    first = await add_product(runtime, "ONE-1", stock=1)
    second = await add_product(runtime, "TWO-1", stock=5)
    await catalog.set_stock(runtime, "ONE-1", "north", 4)
    ids = {sku: product["variants"][0]["id"] for sku, product in (("ONE-1", first), ("TWO-1", second))}
    order = (await fetchone("INSERT INTO orders (status, email, currency, idempotency_key, request_fingerprint, "
                            "token_salt, placed_at, updated_at) VALUES ('pending_payment', 'a@b.test', 'EUR', 'k', "
                            "'f', 's', {}, {}) RETURNING id", datetime.now(timezone.utc),
                            datetime.now(timezone.utc)))["id"]
    last_event = await fetchone("SELECT COALESCE(MAX(id), 0) AS id FROM outbox_events")
    async with runtime.database.transaction():
        await stock.hold(order, [("TWO-1", ids["TWO-1"], 2), ("ONE-1", ids["ONE-1"], 3)], minutes=30)
    held = await fetch("SELECT sku, quantity, state FROM stock_reservations WHERE order_id = {} ORDER BY id", order)
    assert [(r["sku"], r["quantity"], r["state"]) for r in held] == [
        ("ONE-1", 1, "held"), ("ONE-1", 2, "held"), ("TWO-1", 2, "held")]
    events = await fetch("SELECT payload FROM outbox_events WHERE id > {} AND name = 'stock_changed' ORDER BY id",
                         last_event["id"])
    payloads = [json.loads(e["payload"]) for e in events]
    assert [(p["sku"], p["warehouse"], p["reserved"], p["available"]) for p in payloads] == [
        ("ONE-1", "default", 1, 0), ("ONE-1", "north", 2, 2), ("TWO-1", "default", 2, 3)]


async def test_expired_reservations_are_released_by_the_cron_job(shop, staff, place):
    runtime = shop.runtime
    stale = await place(("TEE-1", 2))
    fresh = await place(("TEE-1", 1))
    paid = await place(("CAP-1", 1))
    await shop.test_client().post(f"/api/v1/admin/orders/{paid['number']}/mark-paid", headers=staff["write"])
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    async with runtime.database.transaction():
        for number in (stale["number"], paid["number"]):
            await fetch("UPDATE stock_reservations SET expires_at = {} WHERE order_id = "
                        "(SELECT id FROM orders WHERE number = {})", past, number)
    assert (await stock_of("TEE-1"))["reserved"] == 3
    assert await runtime.queue.enqueue(RELEASE_JOB, _job_id="test-release-1")
    await runtime.queue.drain()
    assert (await stock_of("TEE-1"))["reserved"] == 1
    client = shop.test_client()
    statuses = {}
    for order in (stale, fresh, paid):
        detail = await (await client.get(f"/api/v1/admin/orders/{order['number']}", headers=staff["read"])).get_json()
        statuses[order["number"]] = detail["status"]
        if order is stale:
            cancel = next(e for e in detail["events"] if e["to_status"] == "cancelled")
            assert cancel["actor"] == "system" and "expired" in cancel["note"]
    assert statuses == {stale["number"]: "cancelled", fresh["number"]: "pending_payment", paid["number"]: "paid"}
    # running it again changes nothing
    assert await runtime.queue.enqueue(RELEASE_JOB, _job_id="test-release-2")
    await runtime.queue.drain()
    assert (await stock_of("TEE-1"))["reserved"] == 1 and (await stock_of("CAP-1"))["on_hand"] == 4


async def test_reservation_minutes_setting_sets_the_expiry(make_app):
    from engine.testing.checkout import cart_with, checkout

    app = await make_app(checkout={"reservation_minutes": 15})
    await add_product(app.runtime, "TEE-1", stock=5)
    client = app.test_client()
    before = datetime.now(timezone.utc)
    await checkout(client, await cart_with(client, "TEE-1"))
    row = await fetchone("SELECT expires_at FROM stock_reservations")
    expires = row["expires_at"] if row["expires_at"].tzinfo else row["expires_at"].replace(tzinfo=timezone.utc)
    assert timedelta(minutes=14) < expires - before < timedelta(minutes=16)
    assert await stock.expired_orders() == []


async def test_the_release_job_is_a_registered_core_cron_job(make_runtime):
    runtime = await make_runtime()
    names = {spec.name for spec in runtime.queue.crons}
    assert RELEASE_JOB in names and RELEASE_JOB.startswith("core.")
