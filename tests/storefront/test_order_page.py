"""The shopper's order page follows the order: the progress marks the steps
reached and the current one, shipments show their tracking numbers, and a
cancelled or refunded order says so."""
from __future__ import annotations

import re

from engine.orders import actions
from engine.payments.actions import cancel, mark_paid
from engine.testing.checkout import add_product, cart_with, checkout


def _progress(page: str) -> tuple[list[str], str | None]:
    steps = re.findall(r'<li class="order-status__step([^"]*)"( aria-current="step")?>([^<]+)</li>', page)
    done = [label for classes, _, label in steps if "--done" in classes]
    current = next((label for _, mark, label in steps if mark), None)
    return done, current


async def test_the_order_page_follows_the_order(make_app, database_url):
    from engine.catalog import services as catalog

    app = await make_app(database_url=database_url)
    await catalog.save_product(app.runtime, {
        "slug": "tee", "title": "Linen tee", "status": "published",
        "images": [{"url": "/media/placeholder/top--linen-tee.svg", "alt": "Linen tee"}],
        "variants": [{"sku": "TEE-1", "options": {"size": "M"}, "price": {"amount": 2500, "currency": "EUR"},
                      "stock": 5}]})
    client = app.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1", 2))).get_json()
    url = f"/orders/{order['number']}?token={order['access_token']}"

    async def page() -> str:
        return await (await client.get(url)).get_data(as_text=True)

    first = await page()
    assert _progress(first) == (["Awaiting payment"], "Awaiting payment")
    # each line as the shopper chose it: picture (when the product has one), title, unit price
    assert re.search(r'<img class="line-product__image" src="/media/placeholder/top--linen-tee.svg"', first)
    assert "Size: M" in first and "€25.00 each" in first
    await mark_paid(app.runtime, order["number"], actor="test")
    assert _progress(await page()) == (["Awaiting payment", "Paid"], "Paid")
    await actions.fulfill(app.runtime, order["number"], "test", [{"sku": "TEE-1", "quantity": 1}], "1Z999", "UPS")
    shown = await page()
    assert _progress(shown) == (["Awaiting payment", "Paid", "Partly shipped"], "Partly shipped")
    assert "1 item(s) with UPS" in shown and "Tracking number: <strong>1Z999</strong>" in shown
    await actions.fulfill(app.runtime, order["number"], "test", None, "1Z1000", "UPS")
    assert _progress(await page()) == (["Awaiting payment", "Paid", "Shipped"], "Shipped")


async def test_a_cancelled_order_says_so(make_app):
    app = await make_app()
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="tee", title="Linen tee")
    client = app.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1", 1))).get_json()
    await cancel(app.runtime, order["number"], "test", "asked by the shopper")
    page = await (await client.get(f"/orders/{order['number']}?token={order['access_token']}")).get_data(as_text=True)
    assert "This order was cancelled." in page and 'class="order-status"' not in page
