"""Plugin failures in the cart and checkout, by each hook's policy.

- A discount plugin (``pricing_adjustments``, a failing plugin is skipped) that
  raises or misses its deadline is left out: the cart and the checkout keep
  working and agree, without its discount; staff see the failure.
- A tax or payment plugin (they fail closed) that raises stops the checkout:
  problem+json naming the plugin on the API, a clear message on the storefront
  checkout page; nothing is ordered.
"""
from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace

from engine import PluginManifest, hookimpl
from engine.accounts.staff import create_token
from engine.catalog import services as catalog
from engine.db.sql import fetchone
from engine.money import Money
from engine.protocols import Adjustment
from engine.testing.checkout import add_product, cart_with, checkout

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def plugin(name: str, priority: int = 100, **hooks):
    return SimpleNamespace(MANIFEST=PluginManifest(name=name, title=name, priority=priority),
                           **{key: hookimpl(value) for key, value in hooks.items()})


async def count_orders() -> int:
    return int((await fetchone("SELECT COUNT(*) AS n FROM orders"))["n"])


def fair_discount():
    async def adjustments(lines, context):
        return [Adjustment("Loyalty", Money(-200, "EUR"), "x")]
    return plugin("fair_discount", pricing_adjustments=adjustments)


def exploding_discount():
    def adjustments(lines, context):
        raise RuntimeError("rules service down")
    return plugin("fancy_discounts", priority=50, pricing_adjustments=adjustments)


async def test_a_failing_discount_plugin_is_left_out_and_the_cart_and_checkout_work(database_url, make_app):
    app = await make_app(plugins=[fair_discount(), exploding_discount()], database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="tee", title="Linen tee")
    client = app.test_client()
    cart_id = await cart_with(client, "TEE-1")

    cart = await client.get(f"/api/v1/carts/{cart_id}")
    assert cart.status_code == 200
    body = await cart.get_json()
    assert [(a["source"], a["amount"]["amount"]) for a in body["adjustments"]] == [("fair_discount", -200)]
    assert body["totals"]["total"] == 2300, "priced without the failing plugin's discount"
    assert [(n["kind"], n["plugins"]) for n in body["notices"]] == [("pricing_unavailable", ["fancy_discounts"])]

    response = await checkout(client, cart_id)
    assert response.status_code == 201
    order = await response.get_json()
    assert order["totals"]["discounts"] == 200 and order["totals"]["total"] == 2300 + 490
    assert order["totals"]["subtotal"] - order["totals"]["discounts"] == body["totals"]["total"], \
        "the order is priced as the cart was"

    # the storefront cart page works too, and says some discounts are missing
    page = app.test_client()
    token = CSRF.search(await (await page.get("/p/tee")).get_data(as_text=True)).group(1)
    await page.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": "1"})
    html = await page.get("/cart")
    text = await html.get_data(as_text=True)
    assert html.status_code == 200 and "€23.00" in text and "Some discounts are unavailable right now" in text

    # ... and staff see the failure: the admin API and /readyz
    staff, _ = await create_token("ops", ["plugins:write"])
    shown = await (await client.get("/api/v1/admin/plugins/fancy_discounts",
                                    headers={"Authorization": f"Bearer {staff}"})).get_json()
    failure = shown["last_failure"]
    assert failure["hook"] == "pricing_adjustments" and "rules service down" in failure["message"]
    assert failure["count"] >= 3 and failure["at"]
    listed = await (await client.get("/api/v1/admin/plugins", headers={"Authorization": f"Bearer {staff}"})).get_json()
    assert {item["name"]: item["last_failure"] for item in listed["items"]}["fair_discount"] is None
    ready = await (await client.get("/readyz")).get_json()
    assert "rules service down" in ready["plugins"]["failures"]["fancy_discounts"]["message"]


async def test_a_discount_plugin_missing_its_deadline_is_left_out(make_app):
    async def slow(lines, context):
        await asyncio.sleep(5)
        return [Adjustment("late", Money(-100, "EUR"), "x")]

    app = await make_app(plugins=[plugin("slow_rules", pricing_adjustments=slow)],
                         settings={"plugins": {"hook_deadline_seconds": 0.2}})
    await add_product(app.runtime, "TEE-1", stock=5)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1")
    response = await checkout(client, cart)
    assert response.status_code == 201
    assert (await response.get_json())["totals"]["discounts"] == 0
    failure = (await app.runtime.host.failures())["slow_rules"]
    assert failure.hook == "pricing_adjustments" and "deadline" in failure.message


class BrokenTax:
    id = "flaky_tax_rates"

    async def compute(self, lines, address, prices_include_tax):
        raise ConnectionError("tax service down")


async def test_a_failing_tax_plugin_stops_checkout_with_a_clear_message(database_url, make_app):
    app = await make_app(plugins=[plugin("flaky_tax", pricing_tax_provider=lambda context: BrokenTax())],
                         enable=[], database_url=database_url)
    await add_product(app.runtime, "TEE-1", stock=5, slug="tee")
    client = app.test_client()
    cart = await cart_with(client, "TEE-1")
    await app.runtime.host.enable("flaky_tax")

    response = await checkout(client, cart)
    assert response.status_code == 502
    assert response.content_type == "application/problem+json"
    problem = await response.get_json()
    assert problem["plugin"] == "flaky_tax" and problem["type"] == "/problems/plugin-error"
    assert "flaky_tax" in problem["detail"] and "tax service down" in problem["detail"]
    assert await count_orders() == 0
    assert (await catalog.get_variants(["TEE-1"]))["TEE-1"]["quantity_available"] == 5
    assert (await client.get(f"/api/v1/carts/{cart}")).status_code == 502, "no cart with a total without its tax"

    # the storefront: the checkout page says what is wrong, in the shop's layout
    page = app.test_client()
    await app.runtime.host.disable("flaky_tax")
    token = CSRF.search(await (await page.get("/p/tee")).get_data(as_text=True)).group(1)
    await page.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": "1"})
    await app.runtime.host.enable("flaky_tax")
    shown = await page.get("/checkout")
    html = await shown.get_data(as_text=True)
    assert shown.status_code == 502
    assert "<h1>Checkout</h1>" in html and "data-theme=" in html
    assert "Checkout is not possible right now: the plugin &#39;flaky_tax&#39; failed" in html
    assert "Nothing was ordered" in html
    # the cart page is the theme's error page, not bare text
    cart_page = await page.get("/cart")
    assert cart_page.status_code == 502
    text = await cart_page.get_data(as_text=True)
    assert "data-theme=" in text and "flaky_tax" in text and "Temporarily unavailable" in text


async def test_a_failing_payment_plugin_stops_checkout_with_a_clear_message(database_url, make_app):
    def gateways(settings):
        raise RuntimeError("gateway config unreadable")

    app = await make_app(plugins=[plugin("flaky_pay", payment_gateways=gateways)], database_url=database_url)
    await add_product(app.runtime, "TEE-1", stock=5, slug="tee")
    client = app.test_client()
    cart = await cart_with(client, "TEE-1")

    methods = await client.get(f"/api/v1/carts/{cart}/payment-methods")
    assert methods.status_code == 502 and (await methods.get_json())["plugin"] == "flaky_pay"
    response = await checkout(client, cart)
    assert response.status_code == 502
    problem = await response.get_json()
    assert problem["plugin"] == "flaky_pay" and "gateway config unreadable" in problem["detail"]
    assert await count_orders() == 0

    page = app.test_client()
    token = CSRF.search(await (await page.get("/p/tee")).get_data(as_text=True)).group(1)
    await page.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": "1"})
    async with page.session_transaction() as session:
        session["checkout"] = {"email": "ada@example.test", "shipping_address": {"country": "DE"},
                               "shipping_method": "flat_rate:standard"}
    shown = await page.get("/checkout?step=payment")
    html = await shown.get_data(as_text=True)
    assert shown.status_code == 502 and "<h1>Checkout</h1>" in html
    assert "flaky_pay" in html and "Nothing was ordered" in html
