"""The admin's promotions and vouchers: create, edit and deactivate through
the form over :mod:`engine.pricing.manage` (the API's service), amounts in
major units and percentages as typed, ambiguous input refused at its field
and nothing saved; a voucher made here discounts a shopper's cart."""
from __future__ import annotations

from engine.testing import fetchone, fetchval
from engine.testing.admin import form_token, staff_client
from engine.testing.checkout import add_product, cart_with

FORM = {"name": "Winter sale", "code": "winter10", "kind": "percentage", "value": "10 %", "min_subtotal": "50.00",
        "scope": "order", "targets": "", "usage_limit": "100", "per_customer_limit": "", "starts_at": "",
        "ends_at": "", "buy_quantity": "0", "get_quantity": "0", "priority": "100", "active": "1"}


async def test_staff_create_edit_and_deactivate_a_voucher_shoppers_can_use(make_app, database_url):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=3000, stock=10)
    manager = await staff_client(app, role="manager")
    token = await form_token(manager, "/admin/promotions/new")

    for field, typed, message in (("value", "0.19", "19 % or 0.19 %"), ("value", "1,5", "point for decimals"),
                                  ("min_subtotal", "50,00", "point for the decimals"),
                                  ("min_subtotal", "50.001", "EUR has 2 decimals"),
                                  ("usage_limit", "-1", "whole number")):
        refused = await manager.post("/admin/promotions", form={**FORM, field: typed, "csrf_token": token})
        page = await refused.get_data(as_text=True)
        assert refused.status_code == 422 and message in page, (field, typed)
        assert f'value="{typed}"' in page, "the typed text is shown back"
    assert await fetchval("SELECT COUNT(*) FROM promotions") == 0

    created = await manager.post("/admin/promotions", form={**FORM, "csrf_token": token})
    assert created.status_code == 303
    row = await fetchone("SELECT * FROM promotions")
    assert (row["code"], row["value"], row["min_subtotal"], row["usage_limit"]) == ("WINTER10", "10", 5000, 100)
    duplicate = await manager.post("/admin/promotions", form={**FORM, "csrf_token": token})
    assert duplicate.status_code == 409 and "already used" in await duplicate.get_data(as_text=True)
    listing = await (await manager.get("/admin/promotions")).get_data(as_text=True)
    assert "WINTER10" in listing and "10 % off" in listing and "€50.00" in listing

    edit = await (await manager.get(f"/admin/promotions/{row['id']}")).get_data(as_text=True)
    assert 'value="10 %"' in edit and 'value="50.00"' in edit
    changed = await manager.post(f"/admin/promotions/{row['id']}", form={
        **FORM, "kind": "fixed", "value": "5.00", "ends_at": "2099-01-01T00:00", "csrf_token": token})
    assert changed.status_code == 303
    row = await fetchone("SELECT * FROM promotions")
    assert row["kind"] == "fixed" and row["value"] == "500"
    assert 'value="5.00"' in await (await manager.get(f"/admin/promotions/{row['id']}")).get_data(as_text=True)

    shopper = app.test_client()
    cart = await cart_with(shopper, "TEE-1", 2)
    applied = await shopper.post(f"/api/v1/carts/{cart}/vouchers", json={"code": "winter10"})
    assert applied.status_code in (200, 201), await applied.get_json()
    body = await (await shopper.get(f"/api/v1/carts/{cart}")).get_json()
    assert body["vouchers"] == ["WINTER10"] and body["totals"]["discounts"] == 500, body

    support = await staff_client(app, role="support")
    assert (await support.get("/admin/promotions")).status_code == 200
    assert (await support.get("/admin/promotions/new")).status_code == 403
    assert (await support.post(f"/admin/promotions/{row['id']}/delete",
                               form={"csrf_token": await form_token(support, "/admin/promotions")})).status_code == 403
    gone = await manager.post(f"/admin/promotions/{row['id']}/delete", form={"csrf_token": token})
    assert gone.status_code == 303 and not (await fetchone("SELECT active FROM promotions"))["active"]
    assert await fetchval("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'admin!_promotions.%' ESCAPE '!'") == 3
