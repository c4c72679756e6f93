"""Carts: guest and customer carts, stock validation, re-pricing with notices, merging."""
from __future__ import annotations

import pytest

from engine.cart import services as carts
from engine.catalog import services as catalog
from engine.db.sql import fetchone
from engine.errors import NotFound, OutOfStock
from engine.testing.checkout import add_product, cart_with


@pytest.fixture
async def shop(database_url, make_app):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "MUG-1", price=1250, stock=4, title="Blue mug")
    await add_product(app.runtime, "CAP-1", price=1999, stock=10, title="Red cap")
    return app


async def test_create_add_and_view(shop):
    client = shop.test_client()
    created = await client.post("/api/v1/carts")
    assert created.status_code == 201
    cart = (await created.get_json())["id"]
    assert len(cart) >= 32 and cart.replace("-", "").replace("_", "").isalnum()
    added = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "MUG-1", "quantity": 2})
    assert added.status_code == 201
    again = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "MUG-1", "quantity": 1})
    body = await again.get_json()
    assert [(l["sku"], l["quantity"], l["unit_price"]["amount"], l["total"]["amount"]) for l in body["lines"]] == [
        ("MUG-1", 3, 1250, 3750)]
    assert body["lines"][0]["title"] == "Blue mug" and body["lines"][0]["quantity_available"] == 4
    assert body["totals"] == {"subtotal": 3750, "discounts": 0, "shipping": 0, "tax": 0, "total": 3750,
                              "currency": "EUR", "tax_included": False}
    assert body["notices"] == [] and body["item_count"] == 3


async def test_quantities_are_checked_against_stock(shop):
    client = shop.test_client()
    cart = await cart_with(client, "MUG-1", 3)
    too_many = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "MUG-1", "quantity": 2})
    assert too_many.status_code == 409
    problem = await too_many.get_json()
    assert problem["errors"] == {"quantity": "only 4 available"}
    unknown = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "NOPE", "quantity": 1})
    assert unknown.status_code == 422 and "sku" in (await unknown.get_json())["errors"]
    zero = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "MUG-1", "quantity": 0})
    assert zero.status_code == 422
    wrong_type = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "MUG-1", "quantity": "two"})
    assert wrong_type.status_code == 422 and "quantity" in (await wrong_type.get_json())["errors"]
    view = await (await client.get(f"/api/v1/carts/{cart}")).get_json()
    assert view["lines"][0]["quantity"] == 3


async def test_change_and_remove_lines(shop):
    client = shop.test_client()
    cart = await cart_with(client, "MUG-1", 1)
    await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "CAP-1", "quantity": 1})
    changed = await client.patch(f"/api/v1/carts/{cart}/lines/CAP-1", json={"quantity": 5})
    assert changed.status_code == 200
    assert {l["sku"]: l["quantity"] for l in (await changed.get_json())["lines"]} == {"MUG-1": 1, "CAP-1": 5}
    assert (await client.patch(f"/api/v1/carts/{cart}/lines/CAP-1", json={"quantity": 11})).status_code == 409
    removed = await client.delete(f"/api/v1/carts/{cart}/lines/MUG-1")
    assert [l["sku"] for l in (await removed.get_json())["lines"]] == ["CAP-1"]
    zero = await client.patch(f"/api/v1/carts/{cart}/lines/CAP-1", json={"quantity": 0})
    assert (await zero.get_json())["lines"] == []
    assert (await client.delete(f"/api/v1/carts/{cart}/lines/CAP-1")).status_code == 404


async def test_unknown_cart_is_404_problem(shop):
    client = shop.test_client()
    response = await client.get("/api/v1/carts/" + "A" * 32)
    assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert (await client.post("/api/v1/carts/short/lines", json={"sku": "MUG-1"})).status_code == 404


async def test_price_changes_and_availability_make_notices(shop):
    client = shop.test_client()
    cart = await cart_with(client, "MUG-1", 3)
    await add_product(shop.runtime, "MUG-1", price=1400, stock=2, title="Blue mug")
    first = await (await client.get(f"/api/v1/carts/{cart}")).get_json()
    kinds = {n["kind"]: n for n in first["notices"]}
    assert kinds["price_changed"]["previous"] == {"amount": 1250, "currency": "EUR"}
    assert kinds["price_changed"]["current"] == {"amount": 1400, "currency": "EUR"}
    assert "12.50" in kinds["price_changed"]["message"] and "14.00" in kinds["price_changed"]["message"]
    assert kinds["availability"]["quantity_available"] == 2
    assert first["lines"][0]["unit_price"]["amount"] == 1400 and first["lines"][0]["in_stock"] is False
    second = await (await client.get(f"/api/v1/carts/{cart}")).get_json()
    assert [n["kind"] for n in second["notices"]] == ["availability"], "a price change is announced once"


async def test_a_product_that_is_no_longer_sold_is_removed_with_a_notice(shop):
    client = shop.test_client()
    cart = await cart_with(client, "MUG-1", 1)
    await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "CAP-1", "quantity": 1})
    await add_product(shop.runtime, "CAP-1", price=1999, stock=10, status="draft")
    view = await (await client.get(f"/api/v1/carts/{cart}")).get_json()
    assert [l["sku"] for l in view["lines"]] == ["MUG-1"]
    assert [(n["kind"], n["sku"]) for n in view["notices"]] == [("removed", "CAP-1")]
    assert (await (await client.get(f"/api/v1/carts/{cart}")).get_json())["notices"] == []


async def test_guest_cart_merges_into_the_customer_cart(shop):
    runtime = shop.runtime
    own = await carts.create_cart(runtime, customer=7)
    await carts.add_line(runtime, own, "MUG-1", 1)
    guest = await carts.create_cart(runtime)
    await carts.add_line(runtime, guest, "MUG-1", 2)
    await carts.add_line(runtime, guest, "CAP-1", 1)
    merged = await carts.merge_carts(runtime, guest, customer=7)
    assert merged == own
    view = await carts.view_cart(runtime, own)
    assert {l["sku"]: l["quantity"] for l in view["lines"]} == {"MUG-1": 3, "CAP-1": 1}
    with pytest.raises(NotFound):
        await carts.view_cart(runtime, guest)
    assert await carts.customer_cart(7) == own


async def test_a_guest_cart_becomes_the_customer_cart_when_there_is_none(shop):
    runtime = shop.runtime
    guest = await carts.create_cart(runtime)
    await carts.add_line(runtime, guest, "CAP-1", 2)
    assert await carts.merge_carts(runtime, guest, customer=8) == guest
    assert (await fetchone("SELECT customer FROM carts WHERE token = {}", guest))["customer"] == 8
    assert await carts.merge_carts(runtime, None, customer=8) == guest
    fresh = await carts.merge_carts(runtime, None, customer=9)
    assert fresh != guest and await carts.customer_cart(9) == fresh


async def test_adding_more_than_is_available_raises(shop):
    runtime = shop.runtime
    cart = await carts.create_cart(runtime)
    await catalog.set_stock(runtime, "MUG-1", None, 0)
    with pytest.raises(OutOfStock, match="Blue mug is out of stock"):
        await carts.add_line(runtime, cart, "MUG-1", 1)


async def test_concurrent_adds_of_one_sku_add_up(shop):
    import asyncio

    client = shop.test_client()
    cart = await cart_with(client, "CAP-1", 1)
    responses = await asyncio.gather(*(client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "CAP-1", "quantity": 1})
                                       for _ in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 9 + [409] * 3, statuses  # 10 in stock: the cart never holds more
    view = await (await client.get(f"/api/v1/carts/{cart}")).get_json()
    assert [(l["sku"], l["quantity"]) for l in view["lines"]] == [("CAP-1", 10)]
