"""Returns: the shopper asks from the order page within the window; staff
approve and receive (restocking), and refund through the payment contract."""
from __future__ import annotations

import re

from engine.accounts.staff import create_token
from engine.catalog import services as catalog
from engine.testing import fetch
from engine.testing.admin import form_token, staff_client
from engine.testing.checkout import add_product, cart_with, checkout

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _shipped_order(app) -> dict:
    token, _ = await create_token("shipping", ["orders:read", "orders:write"])
    staff = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    order = await (await checkout(client, await cart_with(client, "TEE-1", 2))).get_json()
    await client.post(f"/api/v1/admin/orders/{order['number']}/mark-paid", headers=staff)
    assert (await client.post(f"/api/v1/admin/orders/{order['number']}/fulfillments", headers=staff,
                              json={})).status_code == 201
    return order


async def _ask(client, order, **form):
    page = await client.get(f"/orders/{order['number']}?token={order['access_token']}")
    csrf = TOKEN.search(await page.get_data(as_text=True)) or \
        TOKEN.search(await (await client.get("/p/tee-1")).get_data(as_text=True))  # no return form shown
    data = {"csrf_token": csrf.group(1) if csrf else "", "token": order["access_token"], **form}
    return await client.post(f"/orders/{order['number']}/returns", form=data)


async def test_a_return_is_requested_received_restocked_and_refunded(database_url, make_app):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    order = await _shipped_order(app)
    number = order["number"]
    shopper = app.test_client()

    too_many = await _ask(shopper, order, **{"qty.TEE-1": "3"})
    assert too_many.status_code == 422 and "at most 2" in await too_many.get_data(as_text=True)
    asked = await _ask(shopper, order, **{"qty.TEE-1": "1", "reason": "Too small"})
    assert asked.status_code == 303
    page = await (await shopper.get(asked.headers["Location"])).get_data(as_text=True)
    assert "Your return request was sent" in page and "1 × TEE-1: <strong>Requested</strong>" in page
    assert 'max="1"' in page, "one unit is left to return"

    staff = await staff_client(app, permissions=["orders:read", "orders:write"])
    admin_page = f"/admin/orders/{number}"
    [row] = await fetch("SELECT id FROM order_returns")
    for step, form in (("approve", {}), ("receive", {"restock": "yes"})):
        done = await staff.post(f"{admin_page}/return", form={"csrf_token": await form_token(staff, admin_page),
                                                             "return_id": str(row["id"]), "step": step, **form})
        assert done.status_code == 303, step
    again = await staff.post(f"{admin_page}/return", form={"csrf_token": await form_token(staff, admin_page),
                                                          "return_id": str(row["id"]), "step": "approve"})
    assert again.status_code == 409
    assert (await catalog.get_variants(["TEE-1"]))["TEE-1"]["quantity_available"] == 4, "3 left + 1 back"
    refund = await staff.post(f"{admin_page}/refund", form={"csrf_token": await form_token(staff, admin_page),
                                                            "amount": "25.00", "note": "Return 1",
                                                            "refund_key": "return-1"})
    assert refund.status_code == 303
    view = await (await shopper.get(f"/api/v1/orders/{number}?token={order['access_token']}")).get_json()
    assert view["status"] == "partially_refunded" and view["refunds"][0]["amount"]["amount"] == 2500
    assert [e["action"] for e in await fetch("SELECT action FROM audit_log WHERE action = 'order.return'")] == \
        ["order.return", "order.return"]


async def test_no_returns_outside_the_window_or_unshipped(make_app):
    app = await make_app(fulfillment={"return_window_days": 0})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    order = await _shipped_order(app)
    shopper = app.test_client()
    page = await (await shopper.get(f"/orders/{order['number']}?token={order['access_token']}")).get_data(
        as_text=True)
    assert "Ask for a return" not in page
    refused = await _ask(shopper, order, **{"qty.TEE-1": "1"})
    assert refused.status_code == 422 and await fetch("SELECT id FROM order_returns") == []
    forged = await shopper.post(f"/orders/{order['number']}/returns",
                                form={"csrf_token": "x", "token": order["access_token"], "qty.TEE-1": "1"})
    assert forged.status_code == 403
    stranger = await _ask(shopper, {**order, "access_token": "not-the-token"}, **{"qty.TEE-1": "1"})
    assert stranger.status_code == 404



async def test_two_requests_at_once_never_ask_for_more_than_was_shipped(database_url, make_app):
    import asyncio

    from engine.errors import InvalidInput
    from engine.orders import returns
    from engine.orders.services import order_row

    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    order = await order_row((await _shipped_order(app))["number"])
    results = await asyncio.gather(*(returns.request_return(app.runtime, order, {"TEE-1": 2}, "too small")
                                     for _ in range(2)), return_exceptions=True)
    assert sorted(type(result).__name__ for result in results) == ["InvalidInput", "dict"], results
    assert any(isinstance(result, InvalidInput) for result in results)
    assert len(await fetch("SELECT id FROM order_returns WHERE order_id = {}", order["id"])) == 1
