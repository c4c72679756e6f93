"""Integers beyond what a column holds are refused at the edge (issue 20, item 5):
ids of 2^31 or more name nothing (404, or 422 in a body), e-mailed tokens with
an id no database can hold are simply invalid links, and money is 64-bit —
prices up to ``engine.money.MAX_AMOUNT`` and order totals above
€21,474,836.47 work on SQLite and PostgreSQL."""
from __future__ import annotations

from account_test_fixtures import make_staff, page_token, sign_up, staff_login

from engine.accounts.staff import create_token
from engine.catalog import manage as catalog
from engine.money import MAX_AMOUNT
from engine.testing.checkout import cart_with, checkout

BEYOND_32_BITS = 2**31
TOKENS = ["99999999999999999999.x", "2147483648.x", "².x", "٣.x", "-1.x", "1" * 200 + ".x"]


async def test_ids_beyond_32_bits_on_html_routes_are_404(shop):
    shopper = await sign_up(shop, "ids@example.test")
    assert (await shopper.get(f"/account/addresses/{BEYOND_32_BITS}")).status_code == 404
    token = await page_token(shopper, "/account/addresses/new")
    for path in (f"/account/addresses/{BEYOND_32_BITS}", f"/account/addresses/{BEYOND_32_BITS}/delete"):
        # 405 where a catch-all GET page matches the path: either way it names nothing
        assert (await shopper.post(path, form={"csrf_token": token})).status_code in (404, 405), path

    staff = shop.test_client()
    await make_staff("owner-ids@example.test")
    assert (await staff_login(staff, "owner-ids@example.test")).status_code == 303
    token = await page_token(staff, "/admin/staff")
    for path in (f"/admin/staff/{BEYOND_32_BITS}/active", f"/admin/staff/{BEYOND_32_BITS}/role",
                 f"/admin/staff/{BEYOND_32_BITS}/reset-2fa", f"/admin/tokens/{BEYOND_32_BITS}/revoke",
                 f"/admin/staff/{10**30}/active"):
        response = await staff.post(path, form={"csrf_token": token, "active": "0", "role": "support"})
        assert response.status_code == 404, path


async def test_ids_beyond_32_bits_on_json_routes_are_404(shop):
    token, _ = await create_token("bounds", ["all"])
    client = shop.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for method, path in (("GET", f"/api/v1/admin/promotions/{BEYOND_32_BITS}"),
                         ("DELETE", f"/api/v1/admin/tokens/{BEYOND_32_BITS}"),
                         ("GET", f"/api/v1/admin/webhooks/{10**30}")):
        response = await client.open(path, method=method, headers=headers)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/problem+json"


async def test_reset_and_verify_tokens_with_impossible_ids_are_invalid_links(shop):
    client = shop.test_client()
    for token in TOKENS:
        reset = await client.get("/account/reset", query_string={"token": token})
        assert reset.status_code == 400, token
        verify = await client.get("/account/verify", query_string={"token": token})
        assert 400 <= verify.status_code < 500 or verify.status_code in (200, 303), token
        assert verify.status_code != 500


async def test_prices_beyond_32_bits_up_to_the_maximum(shop):
    token, _ = await create_token("prices", ["all"])
    client = shop.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for amount in (BEYOND_32_BITS, 999_999_999_999, MAX_AMOUNT):
        response = await client.put("/api/v1/admin/variants/TEE-1/price", json={"amount": amount}, headers=headers)
        assert response.status_code == 200, await response.get_json()
        assert (await catalog.get_variant("TEE-1"))["price"]["amount"] == amount
    for amount in (MAX_AMOUNT + 1, 2**63, -1):
        response = await client.put("/api/v1/admin/variants/TEE-1/price", json={"amount": amount}, headers=headers)
        assert response.status_code == 422, amount
        assert "amount" in (await response.get_json())["errors"]
    assert (await catalog.get_variant("TEE-1"))["price"]["amount"] == MAX_AMOUNT


async def test_an_order_total_above_32_bits(shop):
    """2 × €15,000,000 = €30,000,000.00: 3,000,000,000 minor units."""
    await catalog.set_price(shop.runtime, "TEE-1", 1_500_000_000)
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1", 2)
    response = await checkout(client, cart)
    assert response.status_code == 201, await response.get_json()
    order = await response.get_json()
    assert order["totals"]["subtotal"] == 3_000_000_000
    assert order["totals"]["total"] >= 3_000_000_000
    read = await client.get(f"/api/v1/orders/{order['number']}", query_string={"token": order["access_token"]})
    assert (await read.get_json())["totals"]["total"] == order["totals"]["total"]
