"""The customers admin API (``/api/v1/admin/customers``): list with search
and keyset pages, one customer with orders and addresses, the data export
(audited) and deletion on request (refused while an order is open; orders
kept, anonymised) — scopes checked, on SQLite and PostgreSQL."""
from __future__ import annotations

from engine.testing import api_token, create_customer, fetchval
from engine.testing.checkout import add_product, cart_with, checkout

BASE = "/api/v1/admin/customers"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_find_read_export_and_delete_customers(make_app, database_url):
    app = await make_app(database_url=database_url)
    client = app.test_client()
    await add_product(app.runtime, "TEE-1", price=2500, stock=10)
    ids = [(await create_customer(app.runtime, f"c{n}_x@example.test", "a long enough password"))["id"]
           for n in range(3)]
    reader = bearer(await api_token("crm read", ["customers:read"]))
    writer = bearer(await api_token("crm write", ["customers:write"]))
    orders_only = bearer(await api_token("orders", ["orders:read"]))

    assert (await client.get(BASE, headers=orders_only)).status_code == 403
    assert (await client.get(BASE)).status_code == 401
    first = await (await client.get(f"{BASE}?limit=2", headers=reader)).get_json()
    assert [row["id"] for row in first["items"]] == [ids[2], ids[1]] and first["next_cursor"]
    rest = await (await client.get(f"{BASE}?limit=2&cursor={first['next_cursor']}", headers=reader)).get_json()
    assert [row["id"] for row in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    found = await (await client.get(f"{BASE}?q=C1_X", headers=reader)).get_json()
    assert [row["email"] for row in found["items"]] == ["c1_x@example.test"]
    for query, status in (("cursor=forged", 400), ("limit=0", 422), ("limit=201", 422), ("limit=x", 422),
                          ("q=" + "x" * 201, 422)):
        bad = await client.get(f"{BASE}?{query}", headers=reader)
        assert bad.status_code == status and bad.content_type == "application/problem+json", query

    # an open order: the customer is kept
    shopper = app.test_client()
    cart = await cart_with(shopper, "TEE-1", 1)
    order = await (await checkout(shopper, cart, email="c0_x@example.test")).get_json()
    await fetchval("UPDATE orders SET customer = {} WHERE number = {} RETURNING id", ids[0], order["number"])
    one = await (await client.get(f"{BASE}/{ids[0]}", headers=reader)).get_json()
    assert one["customer"]["email"] == "c0_x@example.test"
    assert [row["number"] for row in one["orders"]] == [order["number"]]
    assert (await client.get(f"{BASE}/999999", headers=reader)).status_code == 404

    export = await client.get(f"{BASE}/{ids[0]}/export", headers=reader)
    assert export.status_code == 200 and export.headers["Cache-Control"] == "private, no-store"
    assert [row["number"] for row in (await export.get_json())["orders"]] == [order["number"]]
    assert await fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'customer.export' AND target = {}",
                          f"customer:{ids[0]}") == 1

    assert (await client.delete(f"{BASE}/{ids[1]}", headers=reader)).status_code == 403
    refused = await client.delete(f"{BASE}/{ids[0]}", headers=writer)
    assert refused.status_code == 409, "an open order keeps the account"
    assert (await client.delete(f"{BASE}/{ids[1]}", headers=writer)).status_code == 204
    assert (await client.get(f"{BASE}/{ids[1]}", headers=reader)).status_code == 404
    assert await fetchval("SELECT COUNT(*) FROM customers WHERE email = 'c1_x@example.test'") == 0
    assert await fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'customer.delete' AND target = {}",
                          f"customer:{ids[1]}") == 1
    assert (await client.delete(f"{BASE}/999999", headers=writer)).status_code == 404
