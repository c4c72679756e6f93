"""Order snapshots (``sdk.order``) and the in-transaction order hook
(``orders_placing``): what a plugin writes with an order commits with it, and
a plugin that raises rolls the whole order back."""
from __future__ import annotations

from datetime import datetime

import pytest
import sdk_fixture.plugin as fixture

from engine import sdk
from engine.money import Money
from engine.testing import api_token, fetch, fetchval
from engine.testing.admin import form_token
from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout


async def _counts() -> dict[str, int]:
    tables = ("orders", "order_lines", "payments", "stock_reservations", "sdk_fixture_points", "voucher_usages")
    counts = {table: await fetchval(f"SELECT COUNT(*) FROM {table}") for table in tables}
    counts["order_placed"] = await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_placed'")
    counts["reserved"] = await fetchval("SELECT COALESCE(SUM(reserved), 0) FROM catalog_stock")
    return {key: int(value) for key, value in counts.items()}


async def test_hook_orders_placing(make_app, database_url):
    app = await make_app(plugins=[fixture], database_url=database_url)
    await add_product(app.runtime, "FIX-1", price=2500, stock=10)
    client = app.test_client()

    placed = await checkout(client, await cart_with(client, "FIX-1", 2))
    assert placed.status_code == 201, await placed.get_json()
    number = (await placed.get_json())["number"]
    assert await fetch("SELECT order_number, points FROM sdk_fixture_points") == [
        {"order_number": number, "points": 10}], "written with the order, in its transaction"

    before = await _counts()
    await app.runtime.host.configure("sdk_fixture", {"refuse_over": "1000"})
    cart = await cart_with(client, "FIX-1", 1)
    refused = await checkout(client, cart, key="refused-once")
    problem = await refused.get_json()
    assert refused.status_code == 409, problem
    assert problem["title"] == "Order refused" and problem["errors"] == {"cart": "total too high"}
    assert problem["detail"] == "Orders above 1000 cents are refused by the fixture."
    assert await _counts() == before, "no order, line, payment, reservation, event or points row"

    await app.runtime.host.configure("sdk_fixture", {"refuse_over": "0", "fail": "true"})
    failed = await checkout(client, cart, key="failed-once")
    problem = await failed.get_json()
    assert failed.status_code == 502 and "sdk_fixture" in problem["detail"] and "Nothing was ordered" in problem["detail"]
    assert await _counts() == before

    # the cart was left open: the same cart and key place the order once the plugin agrees
    await app.runtime.host.configure("sdk_fixture", {"fail": "false"})
    again = await checkout(client, cart, key="refused-once")
    assert again.status_code == 201, await again.get_json()
    after = await _counts()
    assert after["orders"] == before["orders"] + 1 and after["sdk_fixture_points"] == before["sdk_fixture_points"] + 1
    assert after["reserved"] == before["reserved"] + 1


async def test_the_storefront_checkout_shows_the_refusal(make_app):
    app = await make_app(plugins=[fixture])
    await add_product(app.runtime, "FIX-1", price=2500, stock=10, slug="fix-1")
    await app.runtime.host.configure("sdk_fixture", {"refuse_over": "1000"})
    client = app.test_client()
    token = await form_token(client, "/p/fix-1")
    assert (await client.post("/cart", form={"csrf_token": token, "sku": "FIX-1", "quantity": "1"})).status_code == 303
    steps = [{"step": "contact", "email": "ada@example.test", **{f"shipping_{k}": v for k, v in ADDRESS.items()}},
             {"step": "shipping", "shipping_method": "flat_rate:standard"},
             {"step": "payment", "payment_method": "manual"}]
    for fields in steps:
        assert (await client.post("/checkout", form={"csrf_token": token, **fields})).status_code == 303
    response = await client.post("/checkout", form={"csrf_token": token, "step": "review"})
    body = await response.get_data(as_text=True)
    assert response.status_code == 409 and "Orders above 1000 cents are refused by the fixture." in body
    assert await fetchval("SELECT COUNT(*) FROM orders") == 0


async def test_order_snapshot(make_app, database_url):
    app = await make_app(plugins=[fixture], database_url=database_url)
    await add_product(app.runtime, "FIX-1", price=2500, stock=10, title="Fixture tee")
    client = app.test_client()
    body = await (await checkout(client, await cart_with(client, "FIX-1", 2),
                                 billing_address={**ADDRESS, "first_name": "Charles"})).get_json()

    order = await sdk.order(app.runtime, body["number"])
    assert isinstance(order, sdk.OrderSnapshot)
    assert (order.number, order.status, order.email, order.customer, order.currency) == (
        body["number"], "pending_payment", "ada@example.test", None, "EUR")
    line = order.lines[0]
    assert (line.sku, line.title, line.quantity, line.unit_price, line.total) == (
        "FIX-1", "Fixture tee", 2, Money(2500, "EUR"), Money(5000, "EUR"))
    assert order.subtotal == Money(5000, "EUR") and order.total == Money(body["totals"]["total"], "EUR")
    assert order.total == order.subtotal + order.discount_total + order.shipping_total + (
        Money.zero("EUR") if order.prices_include_tax else order.tax_total)
    assert order.shipping_address["city"] == "Berlin" and order.billing_address["first_name"] == "Charles"
    assert order.shipping_method == "flat_rate:standard" and order.payment_method == "manual"
    assert isinstance(order.placed_at, datetime) and order.placed_at.tzinfo is not None
    assert order.paid == Money.zero("EUR")
    with pytest.raises(AttributeError):
        order.status = "paid"  # frozen

    assert await sdk.order(app.runtime, id=order.id) == order
    assert await sdk.order(app.runtime, "999999") is None
    data = order.to_json()
    assert data["lines"][0]["unit_price"] == {"amount": 2500, "currency": "EUR"}
    assert data["placed_at"] == order.placed_at.isoformat()
    for bad in ({"number": "x" * 40}, {"id": 0}, {"number": "1", "id": 1}, {}):
        with pytest.raises(sdk.InvalidInput):
            await sdk.order(app.runtime, **bad)


async def test_paid_order_lines_reads_paid_orders_only_in_pages(make_app, database_url):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "PAID-1", price=1000, stock=20)
    await add_product(app.runtime, "PAID-2", price=1200, stock=20)
    client = app.test_client()
    token = await api_token("paid-lines", ["orders:write"])
    numbers = []
    for sku in ("PAID-1", "PAID-2", "PAID-1"):
        cart = await cart_with(client, sku, 1)
        if sku == "PAID-2":
            await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "PAID-1", "quantity": 2})
        placed = await checkout(client, cart, key=f"paid-lines-{len(numbers)}")
        numbers.append((await placed.get_json())["number"])
    for number in numbers[:2]:   # the third stays pending_payment
        paid = await client.post(f"/api/v1/admin/orders/{number}/mark-paid",
                                 headers={"Authorization": f"Bearer {token}"})
        assert paid.status_code == 200, await paid.get_json()

    lines = await sdk.paid_order_lines(app.runtime)
    assert [(line.number, line.sku, line.quantity) for line in lines] == [
        (numbers[0], "PAID-1", 1), (numbers[1], "PAID-2", 1), (numbers[1], "PAID-1", 2)]
    assert all(isinstance(line.placed_at, datetime) and line.product_id for line in lines)
    first = await sdk.paid_order_lines(app.runtime, limit=1)
    assert [line.number for line in first] == [numbers[0]], "a page holds whole orders"
    rest = await sdk.paid_order_lines(app.runtime, after_order_id=first[-1].order_id, limit=1)
    assert {line.number for line in rest} == {numbers[1]}
    assert await sdk.paid_order_lines(app.runtime, after_order_id=rest[-1].order_id) == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"after_order_id": -1}, {"after_order_id": "1"}):
        with pytest.raises(sdk.InvalidInput):
            await sdk.paid_order_lines(app.runtime, **bad)

    products = {p.slug: p for p in await sdk.products_by_id(app.runtime, [lines[1].product_id, lines[0].product_id])}
    assert list(products) == ["paid-2", "paid-1"], "in the order given"
