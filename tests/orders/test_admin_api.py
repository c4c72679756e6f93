"""Admin order API: permissions on every route, listing with cursor pagination."""
from __future__ import annotations

import pytest

ROUTES = [
    ("get", "", "orders:read"),
    ("get", "/{number}", "orders:read"),
    ("post", "/{number}/mark-paid", "orders:write"),
    ("post", "/{number}/capture", "orders:write"),
    ("post", "/{number}/refund", "orders:write"),
    ("post", "/{number}/cancel", "orders:write"),
    ("post", "/{number}/fulfillments", "orders:write"),
    ("post", "/{number}/complete", "orders:write"),
    ("post", "/{number}/notes", "orders:write"),
    ("post", "/{number}/holds/1/release", "orders:write"),
    ("post", "/{number}/fraud", "orders:write"),
]


@pytest.mark.parametrize(("method", "path", "permission"), ROUTES)
async def test_no_token_401_wrong_scope_403(shop, staff, place, method, path, permission):
    order = await place()
    client = shop.test_client()
    url = "/api/v1/admin/orders" + path.format(number=order["number"])
    call = getattr(client, method)
    none = await call(url)
    assert none.status_code == 401 and none.content_type == "application/problem+json"
    assert (await call(url, headers={"Authorization": "Bearer swt_not-a-token"})).status_code == 401
    assert (await call(url, headers=staff["catalog"])).status_code == 403
    if permission == "orders:write":
        assert (await call(url, headers=staff["read"])).status_code == 403
    else:
        assert (await call(url, headers=staff["write_only"])).status_code == 200, "writing includes reading"
    detail = await client.get(f"/api/v1/admin/orders/{order['number']}", headers=staff["read"])
    assert (await detail.get_json())["status"] == "pending_payment", "a refused call changes nothing"


async def test_every_admin_order_route_declares_a_permission(shop):
    for rule in shop.url_map.iter_rules():
        if rule.rule.startswith(("/api/v1/admin/orders", "/api/v1/admin/promotions")):
            view = shop.view_functions[rule.endpoint]
            assert getattr(view, "required_permission", None), rule.rule


async def test_listing_pages_with_a_cursor_and_filters(shop, staff, place):
    placed = [await place(("CAP-1", 1), email=f"c{i}@example.test") for i in range(5)]
    client = shop.test_client()
    await client.post(f"/api/v1/admin/orders/{placed[0]['number']}/mark-paid", headers=staff["write"])
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await (await client.get("/api/v1/admin/orders", headers=staff["read"], query_string=query)).get_json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [o["number"] for o in reversed(placed)]
    paid = await (await client.get("/api/v1/admin/orders", headers=staff["read"],
                                   query_string={"status": "paid"})).get_json()
    assert [o["number"] for o in paid["items"]] == [placed[0]["number"]]
    assert paid["items"][0]["total"] == {"amount": 1490, "currency": "EUR"} and paid["items"][0]["item_count"] == 1
    by_email = await (await client.get("/api/v1/admin/orders", headers=staff["read"],
                                       query_string={"email": "c3@example.test"})).get_json()
    assert [o["number"] for o in by_email["items"]] == [placed[3]["number"]]
    bad = await client.get("/api/v1/admin/orders", headers=staff["read"], query_string={"cursor": "garbage!"})
    assert bad.status_code == 422
    unknown = await client.get("/api/v1/admin/orders", headers=staff["read"], query_string={"status": "lost"})
    assert unknown.status_code == 422


async def test_notes_go_on_the_timeline(shop, staff, place):
    order = await place()
    client = shop.test_client()
    response = await client.post(f"/api/v1/admin/orders/{order['number']}/notes", headers=staff["write"],
                                 json={"note": "Called the customer"})
    assert response.status_code == 201
    events = (await response.get_json())["events"]
    assert events[-1]["kind"] == "note" and events[-1]["note"] == "Called the customer"
    empty = await client.post(f"/api/v1/admin/orders/{order['number']}/notes", headers=staff["write"], json={})
    assert empty.status_code == 422
