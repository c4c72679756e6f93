"""POST /api/v1/carts/<id>/checkout: the order, idempotency, validation (plugin failures:
test_plugin_failures.py)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

from engine import PluginManifest, hookimpl
from engine.catalog import services as catalog
from engine.db.sql import fetchone
from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout, checkout_body


def plugin(name: str, priority: int = 100, **hooks):
    return SimpleNamespace(MANIFEST=PluginManifest(name=name, title=name, priority=priority),
                           **{key: hookimpl(value) for key, value in hooks.items()})


async def count_orders() -> int:
    return int((await fetchone("SELECT COUNT(*) AS n FROM orders"))["n"])


async def test_checkout_places_an_order_with_frozen_prices(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 2)
    response = await checkout(client, cart, billing_address={**ADDRESS, "first_name": "Charles"})
    assert response.status_code == 201
    order = await response.get_json()
    assert order["number"].isdigit() and int(order["number"]) > 1000
    assert order["status"] == "pending_payment"
    assert order["totals"] == {"subtotal": 5000, "discounts": 0, "shipping": 490, "tax": 0, "total": 5490,
                               "currency": "EUR", "tax_included": False, "paid": 0, "refunded": 0}
    assert [(l["sku"], l["quantity"], l["unit_price"]["amount"], l["total"]["amount"]) for l in order["lines"]] == [
        ("TEE-1", 2, 2500, 5000)]
    assert order["shipping_address"]["postal_code"] == "10117"
    assert order["billing_address"]["first_name"] == "Charles"
    assert order["shipping_method"]["id"] == "flat_rate:standard"
    payment = order["payment"]
    assert payment["kind"] == "none" and payment["method"] == "manual" and payment["status"] == "pending"
    assert "1001" in payment["instructions"] or order["number"] in payment["instructions"]
    assert "54.90 EUR" in payment["instructions"]
    # stock is reserved, not yet deducted
    variant = (await catalog.get_variants(["TEE-1"]))["TEE-1"]
    assert variant["quantity_available"] == 3
    # the price is frozen: a later catalog change does not touch the order
    await add_product(shop.runtime, "TEE-1", price=9900, stock=5)
    fetched = await client.get(f"/api/v1/orders/{order['number']}", query_string={"token": order["access_token"]})
    assert (await fetched.get_json())["lines"][0]["unit_price"]["amount"] == 2500


async def test_one_checkout_reads_the_promotions_once(shop):
    from engine.testing.themes import QueryCounter

    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 1)
    with QueryCounter(shop.runtime.database.engine) as queries:
        assert (await checkout(client, cart)).status_code == 201
    reads = [s for s in queries.statements if s.lstrip().upper().startswith("SELECT") and "FROM promotions" in s]
    assert len(reads) == 1, reads  # priced twice (goods, then with shipping) and usage counted: one read


async def test_placing_an_order_reads_back_nothing_it_wrote(shop):
    """The order, its lines (several, in cart order) and its payment come back
    from the writes themselves (RETURNING); the answer equals a fresh read."""
    from engine.testing.themes import QueryCounter

    await add_product(shop.runtime, "MUG-1", price=1200, stock=5)
    await add_product(shop.runtime, "CAP-1", price=1800, stock=5)
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 2)
    for sku in ("MUG-1", "CAP-1"):
        await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "quantity": 1})
    with QueryCounter(shop.runtime.database.engine) as queries:
        response = await checkout(client, cart)
    assert response.status_code == 201
    reread = re.compile(r"\s*SELECT .*FROM (order_lines|payments|orders WHERE id =)")
    rereads = [statement for statement in queries.statements if reread.match(statement)]
    assert rereads == []
    order = await response.get_json()
    assert [line["sku"] for line in order["lines"]] == ["TEE-1", "MUG-1", "CAP-1"]
    fetched = await client.get(f"/api/v1/orders/{order['number']}", query_string={"token": order["access_token"]})
    assert await fetched.get_json() == order


async def test_billing_address_defaults_to_shipping(shop):
    client = shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"))).get_json()
    assert order["billing_address"] == order["shipping_address"]


async def test_missing_idempotency_key_is_a_400_problem(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1")
    response = await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body())
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "Idempotency-Key" in (await response.get_json())["title"]
    assert await count_orders() == 0


async def test_replay_returns_the_same_order(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 1)
    key = uuid.uuid4().hex
    first = await checkout(client, cart, key=key)
    second = await checkout(client, cart, key=key)
    assert (first.status_code, second.status_code) == (201, 200)
    one, two = await first.get_json(), await second.get_json()
    assert one["number"] == two["number"] and one["access_token"] == two["access_token"]
    assert await count_orders() == 1
    assert (await catalog.get_variants(["TEE-1"]))["TEE-1"]["quantity_available"] == 4


async def test_same_key_with_another_body_or_cart_is_refused(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 1)
    key = uuid.uuid4().hex
    assert (await checkout(client, cart, key=key)).status_code == 201
    other_body = await checkout(client, cart, key=key, email="someone-else@example.test")
    assert other_body.status_code == 422
    assert "Idempotency-Key" in (await other_body.get_json())["title"]
    other_cart = await checkout(client, await cart_with(client, "TEE-1", 1), key=key)
    assert other_cart.status_code == 422
    assert await count_orders() == 1


async def test_invalid_details_are_reported_per_field(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1")
    response = await checkout(client, cart, email="not-an-email",
                              shipping_address={**ADDRESS, "postal_code": "ABC", "country": "DE"},
                              billing_address={**ADDRESS, "country": "XX"})
    assert response.status_code == 422
    problem = await response.get_json()
    assert response.content_type == "application/problem+json"
    assert set(problem["errors"]) == {"email", "shipping_address.postal_code", "billing_address.country"}
    assert "DE" in problem["errors"]["shipping_address.postal_code"]
    missing = await checkout(client, cart, shipping_address={k: v for k, v in ADDRESS.items() if k != "city"})
    assert missing.status_code == 422
    assert "shipping_address.city" in (await missing.get_json())["errors"]
    assert await count_orders() == 0


async def test_unknown_methods_and_empty_cart_are_refused(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1")
    shipping = await checkout(client, cart, shipping_method="teleport")
    assert shipping.status_code == 422 and "shipping_method" in (await shipping.get_json())["errors"]
    payment = await checkout(client, cart, payment_method="barter")
    assert payment.status_code == 422 and "payment_method" in (await payment.get_json())["errors"]
    empty = await checkout(client, await cart_with(client))
    assert empty.status_code == 422 and (await empty.get_json())["errors"] == {"cart": "is empty"}
    unknown = await checkout(client, "x" * 32)
    assert unknown.status_code == 404
    assert await count_orders() == 0


async def test_short_stock_is_a_409_naming_the_sku(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 4)
    rival = await cart_with(client, "TEE-1", 3)
    assert (await checkout(client, rival)).status_code == 201
    response = await checkout(client, cart)
    assert response.status_code == 409
    problem = await response.get_json()
    assert problem["title"] == "Out of stock" and "TEE-1" in problem["detail"]
    assert (await catalog.get_variants(["TEE-1"]))["TEE-1"]["quantity_available"] == 2


async def test_a_changed_price_stops_the_checkout_until_reviewed(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 1)
    await add_product(shop.runtime, "TEE-1", price=2700, stock=5)
    response = await checkout(client, cart)
    assert response.status_code == 409 and (await response.get_json())["title"] == "Cart changed"
    again = await checkout(client, cart)
    assert again.status_code == 201
    assert (await again.get_json())["totals"]["subtotal"] == 2700


async def test_checkout_validators_block_the_order_on_their_field(make_app):
    def no_po_boxes(checkout):
        if "po box" in checkout.shipping_address["line1"].lower():
            return {"shipping_address.line1": "We cannot deliver to PO boxes."}
        return None

    app = await make_app(plugins=[plugin("po_box_guard", checkout_validate=no_po_boxes)])
    await add_product(app.runtime, "TEE-1", stock=5)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1")
    response = await checkout(client, cart, shipping_address={**ADDRESS, "line1": "PO Box 12"})
    assert response.status_code == 422
    assert (await response.get_json())["errors"] == {"shipping_address.line1": "We cannot deliver to PO boxes."}
    assert (await checkout(client, cart)).status_code == 201


async def test_free_shipping_over_the_threshold(make_app):
    app = await make_app()
    await app.runtime.host.configure("core_shipping", {"price": 590, "free_over": 5000})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    client = app.test_client()
    below = await cart_with(client, "TEE-1", 1)
    methods = await (await client.get(f"/api/v1/carts/{below}/shipping-methods")).get_json()
    assert [(m["id"], m["price"]["amount"]) for m in methods["items"]] == [("flat_rate:standard", 590)]
    at = await cart_with(client, "TEE-1", 2)
    order = await (await checkout(client, at)).get_json()
    assert order["totals"]["shipping"] == 0 and order["totals"]["total"] == 5000


async def test_shipping_and_payment_methods(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1")
    shipping = await client.get(f"/api/v1/carts/{cart}/shipping-methods", query_string={"country": "FR"})
    assert shipping.status_code == 200
    first = (await shipping.get_json())["items"][0]
    assert datetime.fromisoformat(first.pop("expires_at")) > datetime.now(timezone.utc), "the price holds a while"
    assert first == {
        "id": "flat_rate:standard", "label": "Standard shipping", "price": {"amount": 490, "currency": "EUR"},
        "provider": "flat_rate", "estimated_days": [2, 5]}
    payment = await (await client.get(f"/api/v1/carts/{cart}/payment-methods")).get_json()
    assert [(m["id"], m["plugin"]) for m in payment["items"]] == [("manual", "core_payments")]
    assert (await client.get("/api/v1/carts/nope-nope-nope-nope/payment-methods")).status_code == 404


async def test_shopper_reads_the_order_only_with_its_token(shop):
    client = shop.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"))).get_json()
    url = f"/api/v1/orders/{order['number']}"
    ok = await client.get(url, query_string={"token": order["access_token"]})
    assert ok.status_code == 200 and (await ok.get_json())["number"] == order["number"]
    assert (await client.get(url)).status_code == 404
    assert (await client.get(url, query_string={"token": order["access_token"][:-1] + "x"})).status_code == 404
    assert (await client.get("/api/v1/orders/99999", query_string={"token": order["access_token"]})).status_code == 404


async def test_the_api_is_described_in_openapi(shop):
    spec = await (await shop.test_client().get("/openapi.json")).get_json()
    paths = spec["paths"]
    for path in ("/api/v1/carts", "/api/v1/carts/{token}", "/api/v1/carts/{token}/lines",
                 "/api/v1/carts/{token}/shipping-methods", "/api/v1/carts/{token}/payment-methods",
                 "/api/v1/carts/{token}/checkout", "/api/v1/orders/{number}", "/api/v1/admin/orders",
                 "/api/v1/admin/orders/{number}/mark-paid", "/api/v1/admin/orders/{number}/fulfillments"):
        assert path in paths, path
    checkout_op = paths["/api/v1/carts/{token}/checkout"]["post"]
    assert "requestBody" in checkout_op
    assert any(p["name"].lower() == "idempotency-key" for p in checkout_op.get("parameters", []))
