"""Shipments per order: partial shipments from a warehouse, carrier and
tracking, their status, the order's status, and one e-mail per shipment."""
from __future__ import annotations

import pytest

from engine.accounts.staff import create_token
from engine.catalog.stock_levels import set_stock_levels
from engine.catalog.writes import save_warehouse
from engine.testing import fetch
from engine.testing.checkout import add_product, cart_with, checkout


@pytest.fixture
async def shop(database_url, make_app, smtp_inbox):
    app = await make_app(database_url=database_url, fulfillment={"allocation": "most_stock"},
                         mail={"smtp_host": "127.0.0.1", "smtp_port": smtp_inbox.port})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    await add_product(app.runtime, "CAP-1", price=1000, stock=1)
    await save_warehouse(app.runtime, "east", "East depot")
    await set_stock_levels(app.runtime, {"TEE-1": 40}, warehouse="east")
    token, _ = await create_token("shipping", ["orders:read", "orders:write"])
    app.staff = {"Authorization": f"Bearer {token}"}
    return app


async def _paid_order(app) -> dict:
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 2)
    await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "CAP-1", "quantity": 1})
    order = await (await checkout(client, cart)).get_json()
    paid = await client.post(f"/api/v1/admin/orders/{order['number']}/mark-paid", headers=app.staff)
    assert paid.status_code == 200
    return order


async def test_partial_shipments_follow_the_order_and_mail_once_each(shop, smtp_inbox):
    client = shop.test_client()
    order = await _paid_order(shop)
    number, base = order["number"], f"/api/v1/admin/orders/{order['number']}/fulfillments"
    await smtp_inbox.wait_for(2)  # confirmation, payment received

    first = await client.post(base, headers=shop.staff, json={
        "lines": [{"sku": "TEE-1", "quantity": 1}], "carrier": "DHL", "service": "Paket",
        "tracking_number": "00340434161234567890",
        "tracking_url": "https://www.dhl.de/track?piececode=00340434161234567890"})
    assert first.status_code == 201, await first.get_json()
    body = await first.get_json()
    assert body["status"] == "partially_fulfilled"
    [shipment] = body["fulfillments"]
    assert (shipment["status"], shipment["carrier"], shipment["service"]) == ("shipped", "DHL", "Paket")
    assert shipment["warehouse_id"] == (await fetch("SELECT id FROM catalog_warehouses WHERE code = 'east'"))[0]["id"]
    mail = (await smtp_inbox.wait_for(3))[2]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "1 × TEE-1" in text and "https://www.dhl.de/track?piececode=00340434161234567890" in text

    # The rest, packed first and handed over later: its e-mail goes when it ships.
    rest = await client.post(base, headers=shop.staff, json={"status": "created", "warehouse": "default",
                                                             "carrier": "UPS", "tracking_number": "1Z999"})
    body = await rest.get_json()
    assert rest.status_code == 201 and body["status"] == "fulfilled"
    second = body["fulfillments"][1]
    assert second["status"] == "created" and second["lines"] == [{"sku": "TEE-1", "quantity": 1},
                                                                 {"sku": "CAP-1", "quantity": 1}]
    status_url = f"{base}/{second['id']}/status"
    for status in ("shipped", "shipped", "in_transit", "delivered"):
        moved = await client.post(status_url, headers=shop.staff, json={"status": status})
        assert moved.status_code == 200 and (await moved.get_json())["status"] == status
    back = await client.post(status_url, headers=shop.staff, json={"status": "in_transit"})
    assert back.status_code == 409
    messages = await smtp_inbox.wait_for(4)
    assert "1Z999" in messages[3].get_body(preferencelist=("plain",)).get_content()

    shopper = await (await client.get(f"/api/v1/orders/{number}?token={order['access_token']}")).get_json()
    assert [(s["carrier"], s["status"]) for s in shopper["shipments"]] == [("DHL", "shipped"), ("UPS", "delivered")]
    assert shopper["shipments"][0]["tracking_url"].startswith("https://www.dhl.de/")
    refund = await client.post(f"/api/v1/admin/orders/{number}/refund", headers=shop.staff, json={"amount": 500})
    assert refund.status_code == 200
    shopper = await (await client.get(f"/api/v1/orders/{number}?token={order['access_token']}")).get_json()
    assert [r["amount"] for r in shopper["refunds"]] == [{"amount": 500, "currency": "EUR"}]
    page = await client.get(f"/orders/{number}?token={order['access_token']}")
    html = await page.get_data(as_text=True)
    assert "00340434161234567890" in html and 'href="https://www.dhl.de/track?piececode=' in html
    assert "Delivered" in html and "5.00" in html

    shipped_mails = await fetch("SELECT dedupe_key FROM mail_deliveries WHERE dedupe_key LIKE '%order_shipped'")
    assert len(shipped_mails) == 2, "one shipment e-mail per shipment"
    assert len(smtp_inbox.messages) >= 4


async def test_bad_shipments_are_refused_whole(shop):
    client = shop.test_client()
    order = await _paid_order(shop)
    base = f"/api/v1/admin/orders/{order['number']}/fulfillments"
    for body, field in (({"tracking_url": "javascript:alert(1)"}, "tracking_url"),
                        ({"warehouse": "nowhere"}, "warehouse"),
                        ({"lines": [{"sku": "TEE-1", "quantity": 3}]}, "lines.0.quantity"),
                        ({"carrier": "x" * 201}, "carrier")):
        response = await client.post(base, headers=shop.staff, json=body)
        assert response.status_code == 422, body
        assert field in str((await response.get_json())["errors"]), body
    assert await fetch("SELECT id FROM order_fulfillments") == []
    assert (await client.post(f"{base}/999999/status", headers=shop.staff, json={"status": "shipped"})).status_code \
        == 404
    read_only, _ = await create_token("reader", ["orders:read"])
    denied = await client.post(base, headers={"Authorization": f"Bearer {read_only}"}, json={})
    assert denied.status_code == 403


async def test_the_admin_order_page_moves_a_shipment_and_audits_it(shop):
    from engine.testing.admin import form_token, staff_client

    order = await _paid_order(shop)
    number = order["number"]
    api = shop.test_client()
    made = await api.post(f"/api/v1/admin/orders/{number}/fulfillments", headers=shop.staff,
                          json={"status": "created", "carrier": "DHL", "tracking_number": "JJD42"})
    shipment = (await made.get_json())["fulfillments"][0]["id"]
    client = await staff_client(shop, permissions=["orders:read", "orders:write"])
    page = await (await client.get(f"/admin/orders/{number}")).get_data(as_text=True)
    assert f'/fulfillments/{shipment}/label.pdf"' in page and f'id="form-shipment-{shipment}"' in page
    token = await form_token(client, f"/admin/orders/{number}")
    url = f"/admin/orders/{number}/shipment"
    assert (await client.post(url, form={"fulfillment_id": str(shipment), "status": "shipped"})).status_code == 403
    moved = await client.post(url, form={"csrf_token": token, "fulfillment_id": str(shipment), "status": "shipped"})
    assert moved.status_code == 303
    back = await client.post(url, form={"csrf_token": token, "fulfillment_id": str(shipment), "status": "created"})
    assert back.status_code == 409 and "cannot go back" in await back.get_data(as_text=True)
    entries = await fetch("SELECT target, details FROM audit_log WHERE action = 'order.shipment'")
    assert [e["target"] for e in entries] == [f"number={number}"] and '"shipped"' in entries[0]["details"]
    label = await client.get(f"/api/v1/admin/orders/{number}/fulfillments/{shipment}/label.pdf")
    assert label.status_code == 200, "the staff session opens the label link"
