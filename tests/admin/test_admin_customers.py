"""The admin's customers: list with search and keyset pages, the customer's
page with orders and addresses, the data export (a JSON download, audited)
and deletion on request (confirm step; personal data anonymised, orders kept
with their totals, no more sign-in; audited) — on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import re

from account_test_fixtures import customer_id, login, sign_up

from engine.testing import create_customer, fetch, fetchone, fetchval
from engine.testing.admin import form_token, staff_client
from engine.testing.checkout import add_product, cart_with, checkout


def _ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-customer="(\d+)">', page)]


async def test_staff_find_export_and_delete_a_customer_on_request(make_app, database_url, monkeypatch):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=10)
    shopper = await sign_up(app, "erin@example.test", name="Erin Example")
    erin = await customer_id("erin@example.test")
    cart = await cart_with(shopper, "TEE-1", 1)
    order = await (await checkout(shopper, cart, email="erin@example.test")).get_json()
    others = [(await create_customer(app.runtime, f"c{n}_x@example.test", "a long enough password"))["id"]
              for n in range(2)]
    support = await staff_client(app, role="support")

    listing = await support.get("/admin/customers")
    page = await listing.get_data(as_text=True)
    assert listing.status_code == 200 and _ids(page) == [*reversed(others), erin]
    found = await (await support.get("/admin/customers?q=EXAMPLE+erin".replace("+", "%20"))).get_data(as_text=True)
    assert _ids(found) == []  # one phrase, not words
    assert _ids(await (await support.get("/admin/customers?q=erin%20example")).get_data(as_text=True)) == [erin]
    assert _ids(await (await support.get("/admin/customers?q=ERIN@")).get_data(as_text=True)) == [erin]
    assert _ids(await (await support.get("/admin/customers?q=_x")).get_data(as_text=True)) == others[::-1], \
        "LIKE wildcards are matched literally"
    monkeypatch.setattr("engine.admin.customers.PAGE_SIZE", 2)
    first = await (await support.get("/admin/customers")).get_data(as_text=True)
    assert _ids(first) == [others[1], others[0]]
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert _ids(await (await support.get(next_url)).get_data(as_text=True)) == [erin]
    assert (await support.get("/admin/customers?cursor=forged")).status_code == 400

    detail = await (await support.get(f"/admin/customers/{erin}")).get_data(as_text=True)
    assert order["number"] in detail and "Erin Example" in detail and "Delete on request" not in detail
    assert (await support.get("/admin/customers/999999")).status_code == 404
    export = await support.get(f"/admin/customers/{erin}/export")
    assert export.headers["Content-Disposition"] == f'attachment; filename="customer-{erin}.json"'
    data = json.loads(await export.get_data(as_text=True))
    assert data["account"]["email"] == "erin@example.test" and [o["number"] for o in data["orders"]] == [
        order["number"]]
    assert await fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'customer.export' AND target = {}",
                          f"customer:{erin}") == 1
    assert (await support.get(f"/admin/customers/{erin}/delete")).status_code == 403
    token = await form_token(support, "/admin/customers")
    assert (await support.post(f"/admin/customers/{erin}/delete", form={"csrf_token": token, "confirm": "yes"})
            ).status_code == 403

    manager = await staff_client(app, role="manager")
    token = await form_token(manager, f"/admin/customers/{erin}/delete")
    unconfirmed = await manager.post(f"/admin/customers/{erin}/delete", form={"csrf_token": token})
    assert unconfirmed.status_code == 422 and "Tick the box" in await unconfirmed.get_data(as_text=True)
    assert (await manager.post(f"/admin/customers/{erin}/delete", form={"confirm": "yes"})).status_code in (400, 403)
    still_open = await manager.post(f"/admin/customers/{erin}/delete", form={"csrf_token": token, "confirm": "yes"})
    assert still_open.status_code == 409 and "in progress" in await still_open.get_data(as_text=True)
    await fetch("UPDATE orders SET status = 'completed' WHERE number = {}", order["number"])
    deleted = await manager.post(f"/admin/customers/{erin}/delete", form={"csrf_token": token, "confirm": "yes"})
    assert deleted.status_code == 303
    assert await fetchval("SELECT COUNT(*) FROM customers WHERE id = {}", erin) == 0
    kept = await fetchone("SELECT * FROM orders WHERE number = {}", order["number"])
    assert kept["total"] > 0 and kept["customer"] is None and "erin" not in kept["email"]
    assert "Example" not in kept["shipping_address"]
    assert (await login(app.test_client(), "erin@example.test")).status_code == 401
    entry = await fetchone("SELECT * FROM audit_log WHERE action = 'customer.delete'")
    assert entry["target"] == f"customer:{erin}" and "erin" not in entry["details"]
    assert await fetchval("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'admin!_customers%' ESCAPE '!'") == 0, \
        "one entry, written by the service"
