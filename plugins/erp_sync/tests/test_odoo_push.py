"""Paid orders to the stand-in Odoo server as sale orders: once, even when the
job runs twice or the ERP is down for a while; store-made stock changes go
out, the import's own do not (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio
import threading

import pytest

from engine import sdk
from engine.testing import api_token, collect_jobs, fetch, wait_until
from engine.testing.checkout import add_product, cart_with, checkout
from shopwright_erp_sync import plugin, store, sync

NAME = "erp_sync"
CONFIG = {"db": "shop", "username": "sync@example.com", "password": "secret"}


async def paid_order(app, sku: str, quantity: int = 2) -> str:
    client = app.test_client()
    placed = await checkout(client, await cart_with(client, sku, quantity))
    assert placed.status_code == 201, await placed.get_json()
    number = (await placed.get_json())["number"]
    token = await api_token("erp-test", ["orders:write"])
    paid = await client.post(f"/api/v1/admin/orders/{number}/mark-paid", headers={"Authorization": f"Bearer {token}"})
    assert paid.status_code == 200, await paid.get_json()
    return number


def sale_orders(odoo, number: str) -> list[dict]:
    return [row for row in odoo.rows("sale.order") if row["client_order_ref"] == number]


async def test_a_paid_order_is_pushed_once_even_when_its_job_runs_twice(make_app, database_url, odoo):
    app = await make_app(plugins=[plugin], database_url=database_url)
    runtime = app.runtime
    await runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})
    odoo.add_product("Tee", "TEE-1", price=25.0, on_hand=5)
    await add_product(runtime, "TEE-1", price=2500, stock=5)
    number = await paid_order(app, "TEE-1", 2)

    await wait_until(lambda: sale_orders(odoo, number), what="the sale order in Odoo")
    await wait_until(lambda: store.link_of("order", number), what="the link order → sale order")
    [order] = sale_orders(odoo, number)
    [partner] = [row for row in odoo.rows("res.partner") if row["id"] == order["partner_id"]]
    assert partner["email"] == "ada@example.test" and partner["name"] == "Ada Lovelace"
    lines = [line for line in odoo.rows("sale.order.line") if line["order_id"] == order["id"]]
    goods = [line for line in lines if line.get("product_id")]
    assert [(line["product_uom_qty"], line["price_unit"]) for line in goods] == [(2, 25.0)]
    snapshot = await sdk.order(runtime, number)
    assert snapshot.shipping_total.amount, "flat-rate shipping was charged"
    [shipping] = [line for line in lines if not line.get("product_id")]   # no SHIPPING product in Odoo: a note
    assert shipping["display_type"] == "line_note" and str(snapshot.shipping_total.as_decimal()) in shipping["name"]

    push = collect_jobs(runtime.host)[f"{NAME}.push_order"][1].func
    assert await push({"runtime": runtime, "job_try": 1}, number) == str(order["id"])   # the job again
    await fetch("DELETE FROM erp_sync_links")            # as if the worker died before writing the link
    assert await push({"runtime": runtime, "job_try": 1}, number) == str(order["id"])
    assert len(sale_orders(odoo, number)) == 1 and len(odoo.rows("res.partner")) == 1
    assert await store.link_of("order", number) == str(order["id"])


async def test_the_worker_and_a_manual_push_of_one_order_create_one_sale_order(make_app, database_url, odoo):
    app = await make_app(plugins=[plugin], database_url=database_url)
    runtime = app.runtime
    odoo.add_product("Cap", "CAP-1", price=15.0, on_hand=4)
    await add_product(runtime, "CAP-1", price=1500, stock=4)
    number = await paid_order(app, "CAP-1", 1)          # not configured yet: it waits as a dead letter
    await wait_until(lambda: store.open_dead_letters("order"), what="the order waiting")
    await runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})

    async def push():
        connector = sync.connector_for(runtime, sdk.plugin_settings(runtime, NAME))
        try:
            return await sync.push_order(runtime, connector, number)
        finally:
            await connector.aclose()

    odoo.sale_order_gate = threading.Event()
    first = asyncio.create_task(push())
    await wait_until(lambda: odoo.waiting == 1, what="the first push inside Odoo's create")
    second = asyncio.create_task(push())
    await wait_until(lambda: second.done() or odoo.waiting == 2, what="the second push refused or creating too")
    odoo.sale_order_gate.set()
    with pytest.raises(sync.PushInProgress):
        await second
    erp_id, created = await first
    assert created and [row["id"] for row in sale_orders(odoo, number)] == [int(erp_id)]
    assert await push() == (erp_id, False)                # the claim was given back; the link answers


async def test_erp_down_for_three_tries_then_up_the_order_arrives_once(make_app, database_url, odoo):
    app = await make_app(plugins=[plugin], database_url=database_url)
    runtime = app.runtime
    odoo.add_product("Mug", "MUG-1", price=12.5, on_hand=9)
    _, shipping_product = odoo.add_product("Shipping", "SHIPPING", price=0.0)
    await add_product(runtime, "MUG-1", price=1250, stock=9)
    # Paid while the plugin is not configured: the order waits as a dead letter, nothing is dropped.
    number = await paid_order(app, "MUG-1", 1)
    dead = await wait_until(lambda: store.open_dead_letters("order"), what="the order waiting")
    assert dead[0]["ref"] == number and "not configured" in dead[0]["error"]

    await runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})
    odoo.down = 3                                         # the next three requests answer 503
    assert await sdk.enqueue(runtime, f"{NAME}.push_order", number, job_id=f"erp:push:{number}")
    await runtime.queue.drain()
    job = runtime.queue.jobs[f"erp:push:{number}"]
    assert (job.success, job.job_try) == (True, 4)
    assert len(sale_orders(odoo, number)) == 1 and odoo.down == 0
    [order] = sale_orders(odoo, number)
    shipping = [line for line in odoo.rows("sale.order.line")
                if line["order_id"] == order["id"] and line.get("product_id") == shipping_product]
    assert [line["price_unit"] for line in shipping] == [float((await sdk.order(runtime, number)).shipping_total.as_decimal())]
    assert await store.open_dead_letters() == []


async def test_erp_down_for_every_try_dead_letters_the_order(make_app, sqlite_url, odoo):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    runtime = app.runtime
    odoo.add_product("Mug", "MUG-1", price=12.5, on_hand=9)
    await add_product(runtime, "MUG-1", price=1250, stock=9)
    number = await paid_order(app, "MUG-1", 1)
    await wait_until(lambda: store.open_dead_letters("order"), what="the order waiting")
    await runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})
    odoo.down = 1000
    await sdk.enqueue(runtime, f"{NAME}.push_order", number, job_id=f"erp:push:{number}")
    await runtime.queue.drain()
    [dead] = await store.open_dead_letters("order")
    assert dead["ref"] == number and "unavailable after 5 tries" in dead["error"]
    assert sale_orders(odoo, number) == []
    odoo.down = 0                                         # up again: the retry sends it, once
    connector = sync.connector_for(runtime, sdk.plugin_settings(runtime, NAME))
    try:
        await sync.push_order(runtime, connector, number)
    finally:
        await connector.aclose()
    assert len(sale_orders(odoo, number)) == 1 and await store.open_dead_letters() == []


async def test_the_imports_stock_changes_are_not_pushed_back(make_app, database_url, odoo):
    app = await make_app(plugins=[plugin], database_url=database_url)
    runtime = app.runtime
    await runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})
    _, variant = odoo.add_product("Bag", "BAG-1", price=30.0, on_hand=4)
    connector = sync.connector_for(runtime, sdk.plugin_settings(runtime, NAME))
    try:
        summary = await sync.pull(runtime, connector)
    finally:
        await connector.aclose()
    assert summary["stock_changed"] == 1
    events = await fetch("SELECT id, payload FROM outbox_events WHERE name = 'stock_changed'")
    assert len(events) == 1 and '"origin": "erp_sync"' in events[0]["payload"].replace('":"', '": "')
    await wait_until(lambda: runtime.queue.event_state(events[0]["id"]) == "done", what="the event handled")
    assert ("stock.quant", "write") not in odoo.calls and ("stock.quant", "create") not in odoo.calls

    await sdk.set_stock(runtime, {"BAG-1": 7}, origin="catalog")     # a change made in the store
    await wait_until(lambda: odoo.quant_of(variant)["quantity"] == 7, what="the store's change in Odoo")
    assert odoo.calls.count(("stock.quant", "action_apply_inventory")) == 1


async def test_cancellations_and_refunds_follow_once(make_app, database_url, odoo):
    app = await make_app(plugins=[plugin], database_url=database_url)
    runtime = app.runtime
    await runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})
    odoo.add_product("Tee", "TEE-1", price=25.0, on_hand=9)
    await add_product(runtime, "TEE-1", price=2500, stock=9)
    kept, cancelled = await paid_order(app, "TEE-1", 2), await paid_order(app, "TEE-1", 1)
    for number in (kept, cancelled):
        await wait_until(lambda: store.link_of("order", number), what=f"order {number} pushed")
    headers = {"Authorization": f"Bearer {await api_token('erp-follow', ['orders:write'])}"}
    client = app.test_client()
    assert (await client.post(f"/api/v1/admin/orders/{cancelled}/cancel", headers=headers,
                              json={"note": "changed mind"})).status_code == 200
    assert (await client.post(f"/api/v1/admin/orders/{kept}/refund", headers=headers,
                              json={"amount": 500})).status_code == 200
    [gone] = sale_orders(odoo, cancelled)
    await wait_until(lambda: [row for row in odoo.rows("sale.order") if row["id"] == gone["id"]][0].get("state")
                     == "cancel", what="cancelled in Odoo")
    await wait_until(lambda: odoo.rows("mail.message"), what="the refund noted in Odoo")
    [note] = odoo.rows("mail.message")
    assert note["res_id"] == sale_orders(odoo, kept)[0]["id"] and "5.00 EUR refunded" in note["body"]
    assert sale_orders(odoo, kept)[0].get("state") != "cancel"
    await wait_until(lambda: store.link_of("cancel", cancelled), what="the cancellation recorded")
    refunds = await wait_until(lambda: fetch("SELECT store_key FROM erp_sync_links WHERE kind = 'refund'"),
                               what="the refund recorded")
    assert len(refunds) == 1 and refunds[0]["store_key"].startswith(f"{kept}:")


async def test_an_order_paid_while_settings_are_incomplete_waits_as_a_dead_letter(make_app, sqlite_url, odoo):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    await app.runtime.host.configure(NAME, {"url": odoo.url, **CONFIG})
    push = collect_jobs(app.runtime.host)[f"{NAME}.push_order"][1].func
    await app.runtime.host.configure(NAME, {"password": ""})
    assert await push({"runtime": app.runtime, "job_try": 1}, "SW-1") is None
    [dead] = await store.open_dead_letters("order")
    assert dead["ref"] == "SW-1" and "set password" in dead["error"]
