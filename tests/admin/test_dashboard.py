"""The dashboard: sales of today / 7 / 30 days, a chart, top products, low
stock and plugin problems — each panel only with the permission behind it."""
from __future__ import annotations

import re

from engine.catalog import services as catalog
from engine.payments.actions import mark_paid
from engine.testing.admin import staff_client
from engine.testing.checkout import add_product, cart_with, checkout


async def _paid_order(app, sku: str, quantity: int) -> dict:
    client = app.test_client()
    order = await (await checkout(client, await cart_with(client, sku, quantity))).get_json()
    await mark_paid(app.runtime, order["number"], actor="test")
    return order


async def test_the_dashboard_shows_sales_top_products_and_low_stock(make_app, database_url):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=20, slug="tee", title="Linen tee")
    await add_product(app.runtime, "MUG-1", price=1200, stock=3, slug="mug", title="Blue mug")
    await _paid_order(app, "TEE-1", 2)  # 2 × 25.00 + 4.90 shipping
    await _paid_order(app, "MUG-1", 1)  # 12.00 + 4.90
    unpaid = app.test_client()
    await checkout(unpaid, await cart_with(unpaid, "TEE-1", 1))  # placed, not paid: an order, not a sale

    page = await (await (await staff_client(app)).get("/admin")).get_data(as_text=True)
    today = re.search(r"<th scope=\"row\">Today</th>\s*<td>(\d+)</td><td>(\d+)</td>\s*<td>([^<]+)</td><td>([^<]+)</td>",
                      page)
    assert today.groups() == ("3", "2", "€71.80", "€35.90")
    assert re.search(r"<th scope=\"row\">Last 30 days</th>\s*<td>3</td><td>2</td>", page)
    assert page.index("Linen tee</td><td>2</td><td>€50.00") < page.index("Blue mug</td><td>1</td><td>€12.00")
    bars = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#2f6fb3">', page)
    assert len(bars) == 30 and float(bars[-1]) == 160.0 and all(float(h) == 0 for h in bars[:-1])
    low = page[page.index('id="stock-heading"'):]
    assert "Blue mug</td><td>MUG-1</td><td>2</td>" in low  # 3 − 1 sold
    assert "Linen tee" not in low.split("</section>")[0]
    assert (await catalog.get_variants(["MUG-1"]))["MUG-1"]["quantity_available"] == 2


async def test_each_panel_needs_its_permission(make_app):
    app = await make_app()
    support = await staff_client(app, permissions=["catalog:read"])
    page = await (await support.get("/admin")).get_data(as_text=True)
    assert "Low stock" in page and "Sales (" not in page and "Plugin problems" not in page
    owner = await (await (await staff_client(app)).get("/admin")).get_data(as_text=True)
    assert "Sales (EUR)" in owner and "Plugin problems" in owner and "Every enabled plugin is working." in owner
    assert "No failed jobs." in owner
