"""Paying another way: the shopper of an order awaiting payment switches from
a provider they left (a redirect gateway stand-in) to the manual method and
back, through the JSON API and the order page's form; money held on the
current payment refuses a switch; late reports of the payment given up are
still recorded without cancelling the order. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.db.sql import fetch, fetchone
from engine.testing.admin import form_token
from engine.testing.checkout import cart_with, checkout
from standin_gateway import report, standin_shop


@pytest.fixture
async def shop(database_url, make_app):
    return await standin_shop(make_app, database_url)


async def place(shop) -> dict:
    client = shop.test_client()
    response = await checkout(client, await cart_with(client, "TEE-1", 2), payment_method="standin")
    assert response.status_code == 201, await response.get_json()
    return await response.get_json()


async def switch(shop, order: dict, method: str, token: str | None = None):
    response = await shop.test_client().post(
        f"/api/v1/orders/{order['number']}/payment-method?token={token or order['access_token']}",
        json={"payment_method": method})
    return response.status_code, await response.get_json()


async def payments(number: str) -> list[tuple[str, str]]:
    rows = await fetch("SELECT p.gateway, p.status FROM payments p JOIN orders o ON o.id = p.order_id "
                       "WHERE o.number = {} ORDER BY p.id", number)
    return [(row["gateway"], row["status"]) for row in rows]


async def order_row(number: str) -> dict:
    return await fetchone("SELECT * FROM orders WHERE number = {}", number)


async def test_the_shopper_switches_to_another_method_and_keeps_the_order(shop):
    order = await place(shop)
    number = order["number"]
    assert order["payment"]["kind"] == "redirect"
    order_id = (await order_row(number))["id"]
    reserved = await fetch("SELECT state, quantity FROM stock_reservations WHERE order_id = {}", order_id)

    status, body = await switch(shop, order, "standin", token="not-the-token")
    assert status == 404
    status, body = await switch(shop, order, "paypal-of-nowhere")
    assert status == 422 and "payment_method" in body["errors"]

    status, body = await switch(shop, order, "manual")
    assert status == 200 and body["status"] == "pending_payment"
    assert body["payment_method"] == "manual" and body["payment"]["method"] == "manual"
    assert await payments(number) == [("standin", "cancelled"), ("manual", "pending")]
    assert await fetch("SELECT state, quantity FROM stock_reservations WHERE order_id = {}", order_id) == reserved
    status, again = await switch(shop, order, "manual")                    # the same request twice: one switch
    assert status == 200 and await payments(number) == [("standin", "cancelled"), ("manual", "pending")]
    timeline = await fetch("SELECT note FROM order_events WHERE order_id = {} AND note LIKE {}",
                           order_id, "Payment method changed%")
    assert [row["note"] for row in timeline] == ["Payment method changed from standin to manual."]

    status, body = await switch(shop, order, "standin")                     # and back: a new provider payment
    assert status == 200 and body["payment"]["kind"] == "redirect"
    assert [gateway for gateway, _ in await payments(number)] == ["standin", "manual", "standin"]


async def test_money_held_on_the_payment_refuses_a_switch(shop):
    order = await place(shop)
    await report(shop, id="evt_auth", reference=f"sp_{order['number']}", status="authorized",
                 amount=(await order_row(order["number"]))["total"])
    status, body = await switch(shop, order, "manual")
    assert status == 409 and "already authorized" in body["detail"]
    assert (await order_row(order["number"]))["payment_method"] == "standin"


async def test_late_reports_of_the_payment_given_up(shop):
    order = await place(shop)
    number, reference = order["number"], f"sp_{order['number']}"
    assert (await switch(shop, order, "manual"))[0] == 200
    await report(shop, id="evt_void", reference=reference, status="cancelled")   # the old one voided: order waits
    assert (await order_row(number))["status"] == "pending_payment"

    second = await place(shop)                     # a shopper who paid in the provider's tab after all
    assert (await switch(shop, second, "manual"))[0] == 200
    total = (await order_row(second["number"]))["total"]
    await report(shop, id="evt_paid", reference=f"sp_{second['number']}", status="paid", amount=total)
    assert (await order_row(second["number"]))["status"] == "paid"
    status, body = await switch(shop, second, "standin")
    assert status == 409


async def test_the_order_page_offers_the_other_methods(shop):
    order = await place(shop)
    number, token = order["number"], order["access_token"]
    client = shop.test_client()
    page = await client.get(f"/orders/{number}?token={token}")
    html = await page.get_data(as_text=True)
    assert "Pay another way" in html and 'value="manual"' in html and 'value="standin"' not in html

    refused = await client.post(f"/orders/{number}/payment-method",
                                form={"payment_method": "manual", "token": token})
    assert refused.status_code == 403 and (await order_row(number))["payment_method"] == "standin"
    csrf = await form_token(client, f"/orders/{number}?token={token}")
    moved = await client.post(f"/orders/{number}/payment-method",
                              form={"payment_method": "manual", "token": token, "csrf_token": csrf})
    assert moved.status_code == 303 and moved.headers["Location"] == f"/orders/{number}?token={token}"
    html = await (await client.get(moved.headers["Location"])).get_data(as_text=True)
    assert 'value="standin"' in html and 'value="manual"' not in html
    assert (await order_row(number))["payment_method"] == "manual"
