"""Built-in promotions: kinds, scopes, dates, limits, stacking, voucher use at checkout."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from engine.catalog import services as catalog
from engine.db.sql import fetchone
from engine.testing.checkout import add_product, cart_with, checkout
from engine.money import Money
from engine.pricing.pipeline import SHIPPING
from engine.pricing.promotions import LineFacts, PromotionRule, evaluate
from engine.protocols import PriceableLine

NOW = datetime(2030, 6, 1, 12, tzinfo=timezone.utc)


def rule(id=1, **values) -> PromotionRule:
    values.setdefault("name", f"promo {id}")
    values.setdefault("kind", "percentage")
    return PromotionRule(id=id, currency="EUR", **values)


LINES = [PriceableLine("SHIRT", 2, Money(3000, "EUR"), product_id=1),
         PriceableLine("SOCKS", 3, Money(500, "EUR"), product_id=2)]
FACTS = [LineFacts("shirt", frozenset({"clothing", "shirts"}), frozenset({"summer"})),
         LineFacts("socks", frozenset({"clothing"}), frozenset())]


def amounts(evaluation):
    return [(a.sku, a.amount.amount) for a in evaluation.adjustments]


def test_percentage_and_fixed_off_the_order():
    assert amounts(evaluate([rule(value="10")], LINES, FACTS, "EUR", now=NOW)) == [(None, -750)]
    assert amounts(evaluate([rule(kind="fixed", value="1000")], LINES, FACTS, "EUR", now=NOW)) == [(None, -1000)]
    assert amounts(evaluate([rule(kind="fixed", value="99999")], LINES, FACTS, "EUR", now=NOW)) == [(None, -7500)]


def test_product_category_and_collection_scopes():
    product = rule(scope="product", targets=("socks",), value="50")
    assert amounts(evaluate([product], LINES, FACTS, "EUR", now=NOW)) == [("SOCKS", -750)]
    category = rule(scope="category", targets=("shirts",), kind="fixed", value="200")
    assert amounts(evaluate([category], LINES, FACTS, "EUR", now=NOW)) == [("SHIRT", -400)]
    parent = rule(scope="category", targets=("clothing",), value="10")
    assert amounts(evaluate([parent], LINES, FACTS, "EUR", now=NOW)) == [("SHIRT", -600), ("SOCKS", -150)]
    collection = rule(scope="collection", targets=("summer",), value="25")
    assert amounts(evaluate([collection], LINES, FACTS, "EUR", now=NOW)) == [("SHIRT", -1500)]
    nothing = rule(scope="collection", targets=("winter",), value="25", code="WINTER")
    result = evaluate([nothing], LINES, FACTS, "EUR", vouchers=["winter"], now=NOW)
    assert result.adjustments == [] and "does not apply" in result.rejected["WINTER"]


def test_buy_x_get_y_gives_the_cheapest_units():
    lines = [PriceableLine("A", 2, Money(1000, "EUR")), PriceableLine("B", 2, Money(400, "EUR"))]
    facts = [LineFacts("a"), LineFacts("b")]
    three_for_two = rule(kind="buy_x_get_y", buy_quantity=2, get_quantity=1)
    # units by price: 1000, 1000, 400 | 400 -> one complete group, its cheapest unit (400) free
    assert amounts(evaluate([three_for_two], lines, facts, "EUR", now=NOW)) == [("B", -400)]
    half_off = rule(kind="buy_x_get_y", buy_quantity=1, get_quantity=1, value="50")
    assert amounts(evaluate([half_off], lines, facts, "EUR", now=NOW)) == [("A", -500), ("B", -200)]


def test_free_shipping_needs_a_shipping_charge():
    free = rule(kind="free_shipping")
    assert amounts(evaluate([free], LINES, FACTS, "EUR", shipping=Money(490, "EUR"), now=NOW)) == [(SHIPPING, -490)]
    assert evaluate([free], LINES, FACTS, "EUR", shipping=None, now=NOW).adjustments == []


def test_dates_limits_minimum_and_currency():
    def why(**values):
        result = evaluate([rule(code="CODE", value="10", **values)], LINES, FACTS, "EUR", vouchers=["code"], now=NOW)
        return result.rejected.get("CODE")

    assert why() is None
    assert "not valid yet" in why(starts_at=NOW + timedelta(days=1))
    assert "expired" in why(ends_at=NOW)
    assert why(starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(seconds=1)) is None
    assert "used up" in why(usage_limit=3, used_count=3)
    assert "subtotal of at least 80.00" in why(min_subtotal=8000)
    assert why(min_subtotal=7500) is None
    assert "not active" in why(active=False)
    per_customer = rule(code="ONCE", value="10", per_customer_limit=1)
    used = evaluate([per_customer], LINES, FACTS, "EUR", vouchers=["ONCE"], now=NOW, customer_uses={1: 1})
    assert "already used" in used.rejected["ONCE"]
    unknown = evaluate([], LINES, FACTS, "EUR", vouchers=["NOPE"], now=NOW)
    assert unknown.rejected == {"NOPE": "Voucher NOPE does not exist."}


def test_stacking_takes_the_better_of_the_exclusive_or_the_combination():
    small_a = rule(1, value="5", priority=1)
    small_b = rule(2, kind="fixed", value="300", priority=2)
    big_exclusive = rule(3, value="20", exclusive=True, code="BIG")
    tiny_exclusive = rule(4, value="1", exclusive=True, code="TINY")
    combined = evaluate([small_a, small_b], LINES, FACTS, "EUR", now=NOW)
    assert amounts(combined) == [(None, -375), (None, -300)]
    best = evaluate([small_a, small_b, big_exclusive, tiny_exclusive], LINES, FACTS, "EUR",
                    vouchers=["BIG", "TINY"], now=NOW)
    assert amounts(best) == [(None, -1500)]
    assert "cannot be combined" in best.rejected["TINY"]
    worse = evaluate([small_a, small_b, tiny_exclusive], LINES, FACTS, "EUR", vouchers=["TINY"], now=NOW)
    assert amounts(worse) == [(None, -375), (None, -300)]


def test_evaluation_order_does_not_depend_on_input_order():
    rules = [rule(1, value="5", priority=5), rule(2, kind="fixed", value="100", priority=1),
             rule(3, kind="free_shipping", priority=3)]
    forward = evaluate(rules, LINES, FACTS, "EUR", shipping=Money(490, "EUR"), now=NOW)
    backward = evaluate(list(reversed(rules)), LINES, FACTS, "EUR", shipping=Money(490, "EUR"), now=NOW)
    assert forward.adjustments == backward.adjustments


# ---------------------------------------------------------------- through the API
@pytest.fixture
async def shop(database_url, make_app):
    app = await make_app(database_url=database_url)
    await catalog.save_category(app.runtime, {"slug": "shirts", "name": "Shirts"})
    await add_product(app.runtime, "SHIRT", price=3000, stock=20, categories=["shirts"])
    await add_product(app.runtime, "SOCKS", price=500, stock=20)
    return app


async def promotion(client, token, **body):
    response = await client.post("/api/v1/admin/promotions", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, await response.get_json()
    return await response.get_json()


@pytest.fixture
async def writer(shop):
    from engine.accounts.staff import create_token

    token, _ = await create_token("promos", ["catalog:write"])
    return token


async def test_voucher_on_the_cart_and_counted_at_checkout(shop, writer):
    client = shop.test_client()
    await promotion(client, writer, name="Summer", kind="percentage", value="10", scope="category",
                    targets=["shirts"], code="SUMMER10", usage_limit=2, per_customer_limit=1)
    cart = await cart_with(client, "SHIRT", 2)
    await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "SOCKS", "quantity": 1})
    added = await client.post(f"/api/v1/carts/{cart}/vouchers", json={"code": "summer10"})
    assert added.status_code == 201
    body = await added.get_json()
    assert body["vouchers"] == ["SUMMER10"]
    assert body["adjustments"] == [{"label": "Summer (SUMMER10)", "amount": {"amount": -600, "currency": "EUR"},
                                    "source": "core_promotions", "code": "SUMMER10", "sku": "SHIRT"}]
    assert body["totals"]["discounts"] == 600 and body["totals"]["total"] == 6500 - 600
    order = await (await checkout(client, cart, email="ann@example.test")).get_json()
    assert order["totals"]["discounts"] == 600
    assert order["adjustments"][0]["source"] == "core_promotions"
    assert [l["discount"]["amount"] for l in order["lines"]] == [-600, 0]
    assert (await fetchone("SELECT used_count FROM promotions WHERE code = 'SUMMER10'"))["used_count"] == 1
    # the same customer again: refused at checkout, on the vouchers field
    second = await cart_with(client, "SHIRT", 1)
    assert (await client.post(f"/api/v1/carts/{second}/vouchers", json={"code": "SUMMER10"})).status_code == 201
    refused = await checkout(client, second, email="ANN@example.test")
    assert refused.status_code == 422 and "already used" in (await refused.get_json())["errors"]["vouchers"]
    # another customer takes the last use; then it is used up
    assert (await checkout(client, second, email="bob@example.test")).status_code == 201
    third = await cart_with(client, "SHIRT", 1)
    used_up = await client.post(f"/api/v1/carts/{third}/vouchers", json={"code": "SUMMER10"})
    assert used_up.status_code == 422 and "used up" in (await used_up.get_json())["errors"]["code"]


async def test_bad_vouchers_are_refused_and_expired_ones_make_a_notice(shop, writer):
    client = shop.test_client()
    soon = datetime.now(timezone.utc) + timedelta(days=1)
    await promotion(client, writer, name="Big spender", kind="fixed", value="500", code="BIG",
                    min_subtotal=10000)
    await promotion(client, writer, name="Later", kind="fixed", value="500", code="LATER",
                    starts_at=soon.isoformat())
    cart = await cart_with(client, "SHIRT", 1)
    for code, reason in [("NOPE", "does not exist"), ("BIG", "at least 100.00"), ("LATER", "not valid yet")]:
        response = await client.post(f"/api/v1/carts/{cart}/vouchers", json={"code": code})
        assert response.status_code == 422 and reason in (await response.get_json())["errors"]["code"], code
    await client.patch(f"/api/v1/carts/{cart}/lines/SHIRT", json={"quantity": 4})
    assert (await client.post(f"/api/v1/carts/{cart}/vouchers", json={"code": "BIG"})).status_code == 201
    await client.patch(f"/api/v1/carts/{cart}/lines/SHIRT", json={"quantity": 1})
    view = await (await client.get(f"/api/v1/carts/{cart}")).get_json()
    assert view["adjustments"] == []
    assert [(n["kind"], n["code"]) for n in view["notices"]] == [("voucher", "BIG")]
    assert "at least 100.00" in view["notices"][0]["message"]
    removed = await client.delete(f"/api/v1/carts/{cart}/vouchers/BIG")
    assert (await removed.get_json())["vouchers"] == []


async def test_automatic_free_shipping_promotion(shop, writer):
    client = shop.test_client()
    await promotion(client, writer, name="Free shipping over 50", kind="free_shipping", min_subtotal=5000)
    below = await (await checkout(client, await cart_with(client, "SHIRT", 1))).get_json()
    assert below["totals"]["shipping"] == 490 and below["totals"]["discounts"] == 0
    above = await (await checkout(client, await cart_with(client, "SHIRT", 2))).get_json()
    assert above["totals"]["shipping"] == 490 and above["totals"]["discounts"] == 490
    assert above["totals"]["total"] == 6000
    assert above["adjustments"][0]["sku"] == ":shipping"


async def test_promotion_admin_api_validates_and_needs_permission(shop, writer):
    client = shop.test_client()
    bad = await client.post("/api/v1/admin/promotions", json={"name": "x", "kind": "percentage", "value": "150"},
                            headers={"Authorization": f"Bearer {writer}"})
    assert bad.status_code == 422 and "value" in (await bad.get_json())["errors"]
    assert (await client.post("/api/v1/admin/promotions", json={"name": "x", "kind": "fixed"})).status_code == 401
    created = await promotion(client, writer, name="Ten", kind="fixed", value="1000", code=f"T{uuid.uuid4().hex[:6]}")
    listed = await client.get("/api/v1/admin/promotions", headers={"Authorization": f"Bearer {writer}"})
    assert listed.status_code == 403, "catalog:write does not include catalog:read"
    patched = await client.patch(f"/api/v1/admin/promotions/{created['id']}", json={"value": "1500"},
                                 headers={"Authorization": f"Bearer {writer}"})
    assert (await patched.get_json())["value"] == "1500"
    dup = await client.post("/api/v1/admin/promotions", json={"name": "Dup", "kind": "fixed", "value": "1",
                                                              "code": created["code"]},
                            headers={"Authorization": f"Bearer {writer}"})
    assert dup.status_code == 409
