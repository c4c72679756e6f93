"""Order holds (engine.orders.holds, placed through ``sdk.hold_order``): a
held order cannot be captured or shipped — through the admin API or the
admin page — until staff approve it, and can after; an order paid at checkout
stays unshippable while held; cancelling closes the hold (as fraud when
staff say so) through the normal cancel path; every step is on the
timeline, audited and an outbox event. SQLite and PostgreSQL."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from engine import PluginManifest, hookimpl, sdk
from engine.testing import api_token, fetch, fetchone
from engine.testing.admin import form_token, staff_client
from engine.testing.checkout import add_product, cart_with, checkout
from standin_gateway import StandInGateway, report

REASONS = ["Billing country FR differs from shipping country DE.", "Disposable e-mail domain."]


def _holder(seen: list):
    """A plugin that holds every order it sees, recording the placement."""

    async def orders_placing(order, settings, runtime, placement):
        seen.append(placement)
        await sdk.hold_order(runtime, order, plugin="holder", code="risk", score=82, reasons=REASONS)

    return SimpleNamespace(MANIFEST=PluginManifest(name="holder", title="Holder"),
                           orders_placing=hookimpl(orders_placing))


@pytest.fixture
async def shop(database_url, make_app):
    gateway = StandInGateway()
    standin = SimpleNamespace(MANIFEST=PluginManifest(name="standin_pay", title="Stand-in payments"),
                              payment_gateways=hookimpl(lambda settings: [gateway]))
    seen: list = []
    app = await make_app(plugins=[standin, _holder(seen)], database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=10)
    app.gateway, app.placements = gateway, seen
    return app


@pytest.fixture
async def headers(shop):
    return {"Authorization": f"Bearer {await api_token('reviewer', ['orders:read', 'orders:write'])}"}


async def _place(shop) -> dict:
    client = shop.test_client()
    response = await checkout(client, await cart_with(client, "TEE-1", 2), payment_method="standin")
    assert response.status_code == 201, await response.get_json()
    return await response.get_json()


async def _post(shop, headers, path, body=None):
    response = await shop.test_client().post(f"/api/v1/admin/orders/{path}", headers=headers, json=body or {})
    return response.status_code, await response.get_json()


async def _view(shop, headers, number) -> dict:
    return await (await shop.test_client().get(f"/api/v1/admin/orders/{number}", headers=headers)).get_json()


async def _events(name: str) -> list[dict]:
    return [json.loads(row["payload"]) for row in
            await fetch("SELECT payload FROM outbox_events WHERE name = {} ORDER BY id", name)]


async def test_a_held_order_is_neither_captured_nor_shipped_until_approved(shop, headers):
    order = await _place(shop)
    number = order["number"]
    assert shop.placements[0].channel == "api" and shop.placements[0].client_ip, "the hook hears who placed it"
    view = await _view(shop, headers, number)
    [hold] = view["holds"]
    assert (hold["status"], hold["code"], hold["plugin"], hold["score"], hold["reasons"]) == (
        "open", "risk", "holder", 82, REASONS)
    assert [e["kind"] for e in view["events"]][:2] == ["placed", "hold"], "held from the moment the order exists"
    assert (await _events("order_held"))[0]["hold_id"] == hold["id"]

    await report(shop, id="evt_auth", reference=order["payment"]["reference"], status="authorized", amount=5490,
                  provider_id="ch_1")
    status, problem = await _post(shop, headers, f"{number}/capture")
    assert status == 409 and problem["type"] == "/problems/order-held", problem
    assert "held for review" in problem["detail"]
    assert shop.gateway.moved == [], "the provider was never asked"

    status, released = await _post(shop, headers, f"{number}/holds/{hold['id']}/release", {"note": "Called her."})
    assert status == 200 and released["holds"][0]["status"] == "released"
    assert released["holds"][0]["resolved_by"] == "token:reviewer"
    assert (await _events("order_hold_released"))[0]["resolution"] == "released"
    audited = await fetchone("SELECT * FROM audit_log WHERE action LIKE {}", "%release_hold")
    assert audited and number in audited["target"] and str(hold["id"]) in audited["target"], audited
    again, _ = await _post(shop, headers, f"{number}/holds/{hold['id']}/release")
    assert again == 200 and len(await _events("order_hold_released")) == 1, "releasing twice changes nothing"
    missing, problem = await _post(shop, headers, f"{number}/holds/999999/release")
    assert missing == 404 and "no such hold" in problem["detail"]

    status, captured = await _post(shop, headers, f"{number}/capture")
    assert status == 200 and captured["status"] == "paid", captured
    assert shop.gateway.moved == [("capture", 5490)]
    status, shipped = await _post(shop, headers, f"{number}/fulfillments")
    assert status == 201 and shipped["status"] == "fulfilled"


async def test_paid_at_checkout_the_hold_still_blocks_shipping(shop, headers):
    order = await _place(shop)
    number = order["number"]
    await report(shop, id="evt_paid", reference=order["payment"]["reference"], status="paid", amount=5490,
                  provider_id="ch_2")
    view = await _view(shop, headers, number)
    assert view["status"] == "paid" and view["holds"][0]["status"] == "open", "money taken, order still held"
    status, problem = await _post(shop, headers, f"{number}/fulfillments")
    assert status == 409 and problem["type"] == "/problems/order-held"
    assert await fetch("SELECT id FROM order_fulfillments") == []
    await _post(shop, headers, f"{number}/holds/{view['holds'][0]['id']}/release")
    status, shipped = await _post(shop, headers, f"{number}/fulfillments")
    assert status == 201, shipped


async def test_cancel_closes_the_hold_and_records_fraud(shop, headers):
    order = await _place(shop)
    number = order["number"]
    hold = (await _view(shop, headers, number))["holds"][0]
    status, cancelled = await _post(shop, headers, f"{number}/cancel", {"fraud": True})
    assert status == 200 and cancelled["status"] == "cancelled"
    assert (cancelled["holds"][0]["status"], cancelled["holds"][0]["fraud"]) == ("cancelled", True)
    assert (await _events("order_cancelled"))[0]["fraud"] is True
    assert (await _events("order_hold_released"))[0]["resolution"] == "fraud"
    assert (await fetchone("SELECT SUM(reserved) AS n FROM catalog_stock"))["n"] == 0, "the stock is given back"
    refused, problem = await _post(shop, headers, f"{number}/holds/{hold['id']}/release")
    assert refused == 409 and "cancelled" in problem["detail"]
    bad, problem = await _post(shop, headers, f"{number}/cancel", {"fraud": "maybe"})
    assert bad == 422


async def test_staff_approve_on_the_admin_page(shop):
    order = await _place(shop)
    number = order["number"]
    await report(shop, id="evt_auth", reference=order["payment"]["reference"], status="authorized", amount=5490,
                  provider_id="ch_1")
    client = await staff_client(shop, role="manager")
    page = await (await client.get(f"/admin/orders/{number}")).get_data(as_text=True)
    assert "Held for review" in page and ">82<" in page and REASONS[0] in page
    assert 'id="form-capture"' not in page and 'id="form-fulfill"' not in page, "nothing offered while held"
    hold_id = (await fetchone("SELECT id FROM order_holds"))["id"]

    token = await form_token(client, f"/admin/orders/{number}")
    refused = await client.post(f"/admin/orders/{number}/capture", form={"csrf_token": token})
    assert refused.status_code == 409 and "held for review" in await refused.get_data(as_text=True)
    forged = await client.post(f"/admin/orders/{number}/release-hold", form={"hold_id": str(hold_id)})
    assert forged.status_code in (400, 403), "a form without its CSRF token is refused"

    approved = await client.post(f"/admin/orders/{number}/release-hold",
                                 form={"csrf_token": token, "hold_id": str(hold_id)})
    assert approved.status_code == 303 and approved.headers["Location"].endswith("?done=release-hold")
    audit = await fetchone("SELECT * FROM audit_log WHERE action = 'order.release_hold'")
    assert audit["target"] == f"number={number}"
    page = await (await client.get(approved.headers["Location"])).get_data(as_text=True)
    assert "Order approved." in page and 'id="form-capture"' in page
    captured = await client.post(f"/admin/orders/{number}/capture", form={"csrf_token": token})
    assert captured.status_code == 303
    assert (await fetchone("SELECT status FROM orders WHERE number = {}", number))["status"] == "paid"

    support = await staff_client(shop, permissions=["orders:read"])
    denied = await support.post(f"/admin/orders/{number}/cancel-hold",
                                form={"csrf_token": await form_token(support, f"/admin/orders/{number}"),
                                      "hold_id": str(hold_id)})
    assert denied.status_code == 403


async def test_cancel_as_fraud_on_the_admin_page(shop):
    number = (await _place(shop))["number"]
    client = await staff_client(shop)
    hold_id = (await fetchone("SELECT id FROM order_holds"))["id"]
    token = await form_token(client, f"/admin/orders/{number}")
    done = await client.post(f"/admin/orders/{number}/cancel-hold",
                             form={"csrf_token": token, "hold_id": str(hold_id), "fraud": "yes"})
    assert done.status_code == 303
    row = await fetchone("SELECT status, fraud FROM order_holds WHERE id = {}", hold_id)
    assert row["status"] == "cancelled" and row["fraud"]
    assert (await fetchone("SELECT status FROM orders WHERE number = {}", number))["status"] == "cancelled"
    assert (await fetchone("SELECT details FROM audit_log WHERE action = 'order.cancel_hold'"))["details"]


async def test_staff_mark_an_order_fraudulent_once(shop, headers):
    number = (await _place(shop))["number"]
    status, view = await _post(shop, headers, f"{number}/fraud", {"note": "Chargeback 4837."})
    assert status == 200 and view["events"][-1]["kind"] == "fraud" and view["events"][-1]["note"] == "Chargeback 4837."
    assert view["status"] == "pending_payment" and view["holds"][0]["status"] == "open", "nothing else changes"
    again, _ = await _post(shop, headers, f"{number}/fraud")
    assert again == 200 and len(await _events("order_marked_fraudulent")) == 1, "marking twice changes nothing"
    assert (await _events("order_marked_fraudulent"))[0]["number"] == number

    other = (await _place(shop))["number"]
    client = await staff_client(shop)
    page = await (await client.get(f"/admin/orders/{other}")).get_data(as_text=True)
    assert 'id="form-mark-fraud"' in page
    done = await client.post(f"/admin/orders/{other}/mark-fraud",
                             form={"csrf_token": await form_token(client, f"/admin/orders/{other}")})
    assert done.status_code == 303
    assert await fetchone("SELECT id FROM audit_log WHERE action = 'order.mark_fraud'")
    page = await (await client.get(f"/admin/orders/{other}")).get_data(as_text=True)
    assert 'id="form-mark-fraud"' not in page and "Marked fraudulent." in page


async def test_bad_holds_are_refused(shop):
    number = (await _place(shop))["number"]
    order = await sdk.order(shop.runtime, number)
    for bad in ({"score": 101}, {"score": 5.5}, {"code": "Not a code"}, {"reasons": [""]}, {"reasons": "text"}):
        arguments = {"plugin": "holder", "code": "other", "score": 10, "reasons": ["x"], **bad}
        with pytest.raises(sdk.InvalidInput):
            await sdk.hold_order(shop.runtime, order, **arguments)
    same = await sdk.hold_order(shop.runtime, order, plugin="holder", code="risk", score=10, reasons=["again"])
    assert same.score == 82, "the open hold of that plugin and code is returned, not doubled"
    assert [h.code for h in await sdk.order_holds(shop.runtime, number)] == ["risk"]
