"""The storefront cart and checkout pages: plain HTML forms, no JavaScript."""
from __future__ import annotations

import re

import pytest

from engine.catalog import services as catalog
from engine.db.sql import fetchone
from engine.testing.checkout import ADDRESS, add_product

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def store(database_url, make_app):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="tee", title="Linen tee")
    return app


async def csrf(client, path="/cart") -> str:
    page = await (await client.get(path)).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def address_form(prefix: str, address: dict) -> dict:
    return {f"{prefix}_{key}": value for key, value in address.items()}


async def test_buy_through_the_storefront(store):
    client = store.test_client()
    token = await csrf(client, "/p/tee")
    added = await client.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": "2"})
    assert added.status_code == 303 and added.headers["Location"] == "/cart"
    cart = await (await client.get("/cart")).get_data(as_text=True)
    assert "Linen tee" in cart and "€50.00" in cart and "Added to your cart." in cart

    assert (await client.get("/checkout?step=review")).headers["Location"] == "/checkout?step=contact"
    contact = await client.get("/checkout")
    assert contact.status_code == 200
    bad = await client.post("/checkout", form={"csrf_token": token, "step": "contact", "email": "ada@example.test",
                                               **address_form("shipping", {**ADDRESS, "postal_code": "123"})})
    assert bad.status_code == 422
    page = await bad.get_data(as_text=True)
    assert "is not a valid postcode for DE" in page and 'value="Unter den Linden 1"' in page
    good = await client.post("/checkout", form={"csrf_token": token, "step": "contact", "email": "ada@example.test",
                                                **address_form("shipping", ADDRESS)})
    assert good.headers["Location"] == "/checkout?step=shipping"
    shipping = await (await client.get("/checkout?step=shipping")).get_data(as_text=True)
    assert 'value="flat_rate:standard"' in shipping and "Standard shipping" in shipping and "€4.90" in shipping
    step = await client.post("/checkout", form={"csrf_token": token, "step": "shipping",
                                                "shipping_method": "flat_rate:standard"})
    assert step.headers["Location"] == "/checkout?step=payment"
    payment = await (await client.get("/checkout?step=payment")).get_data(as_text=True)
    assert 'value="manual"' in payment
    step = await client.post("/checkout", form={"csrf_token": token, "step": "payment", "payment_method": "manual"})
    assert step.headers["Location"] == "/checkout?step=review"
    review = await (await client.get("/checkout?step=review")).get_data(as_text=True)
    assert "€54.90" in review and "Place order" in review and "Unter den Linden 1" in review

    placed = await client.post("/checkout", form={"csrf_token": token, "step": "review"})
    assert placed.status_code == 303
    location = placed.headers["Location"]
    number = re.match(r"/orders/(\d+)\?token=", location).group(1)
    order_page = await (await client.get(location)).get_data(as_text=True)
    assert f"Order {number}" in order_page and "How to pay:" in order_page and "€54.90" in order_page
    assert "confirmation" not in order_page.lower()  # no mail server configured: no claim that one was sent
    assert (await client.get(f"/orders/{number}")).status_code == 404
    assert (await catalog.get_variants(["TEE-1"]))["TEE-1"]["quantity_available"] == 3
    after = await (await client.get("/cart")).get_data(as_text=True)
    assert "Your cart is empty." in after


async def test_a_double_submitted_order_is_placed_once(store):
    client = store.test_client()
    token = await csrf(client, "/p/tee")
    await client.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": "1"})
    await client.post("/checkout", form={"csrf_token": token, "step": "contact", "email": "ada@example.test",
                                         **address_form("shipping", ADDRESS)})
    await client.post("/checkout", form={"csrf_token": token, "step": "shipping", "shipping_method": "flat_rate:standard"})
    await client.post("/checkout", form={"csrf_token": token, "step": "payment", "payment_method": "manual"})
    await client.get("/checkout?step=review")
    from engine.storefront import cart_views

    async with client.session_transaction() as session:
        saved = dict(session)
    first = await client.post("/checkout", form={"csrf_token": token, "step": "review"})
    async with client.session_transaction() as session:  # the browser resubmits with the old session state
        session.update({k: saved[k] for k in (cart_views.SESSION_CART, cart_views.SESSION_CHECKOUT)})
    second = await client.post("/checkout", form={"csrf_token": token, "step": "review"})
    assert first.headers["Location"] == second.headers["Location"]
    assert (await fetchone("SELECT COUNT(*) AS n FROM orders"))["n"] == 1


async def test_cart_changes_and_stock_errors_show_on_the_page(store):
    client = store.test_client()
    token = await csrf(client, "/p/tee")
    too_many = await client.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": "9"})
    assert too_many.status_code == 303  # the line keeps what is available, and the cart says so
    capped = await (await client.get("/cart")).get_data(as_text=True)
    assert "Only 5 of Linen tee are available: your cart holds 5." in capped and "€125.00" in capped
    await client.post("/cart/update", form={"csrf_token": token, "sku": "TEE-1", "quantity": "3"})
    assert "€75.00" in await (await client.get("/cart")).get_data(as_text=True)
    await add_product(store.runtime, "TEE-1", price=2000, stock=5, slug="tee", title="Linen tee")
    changed = await (await client.get("/cart")).get_data(as_text=True)
    assert "changed from 25.00 to 20.00 EUR" in changed and "€60.00" in changed
    await client.post("/cart/update", form={"csrf_token": token, "sku": "TEE-1", "remove": "1"})
    assert "Your cart is empty." in await (await client.get("/cart")).get_data(as_text=True)
    forged = await client.post("/cart", form={"csrf_token": "forged", "sku": "TEE-1", "quantity": "1"})
    assert forged.status_code in (400, 403)
    assert "Your cart is empty." in await (await client.get("/cart")).get_data(as_text=True)


async def test_checkout_with_an_empty_cart_says_so(store):
    response = await store.test_client().get("/checkout?step=review")
    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    assert "Your cart is empty" in page and 'aria-current="step">1. Contact' in page


async def test_the_order_page_mentions_the_confirmation_only_when_mail_is_configured(make_app):
    from engine.testing.checkout import cart_with, checkout

    app = await make_app(mail={"smtp_host": "127.0.0.1", "smtp_port": 2525})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="tee", title="Linen tee")
    client = app.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1"))).get_json()
    page = await (await client.get(f"/orders/{order['number']}?token={order['access_token']}")).get_data(
        as_text=True)
    assert "A confirmation e-mail goes to ada@example.test." in page
