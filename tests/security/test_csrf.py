"""CSRF: every state-changing request made with a session needs the
session's token; without it the answer is 403 and nothing changes."""
from __future__ import annotations

from account_test_fixtures import PASSWORD, login, page_token, sign_up

from engine.db.sql import fetchval

ADDRESS = {"first_name": "Ada", "last_name": "Lovelace", "line1": "Unter den Linden 1", "city": "Berlin",
           "postal_code": "10117", "country": "DE"}


async def test_forms_without_or_with_a_wrong_token_are_refused_and_change_nothing(shop):
    client = await sign_up(shop, "ada@example.test")
    good = await page_token(client, "/account/addresses/new")
    for token in (None, "", "forged", good[:-2] + "xx"):
        form = dict(ADDRESS)
        if token is not None:
            form["csrf_token"] = token
        response = await client.post("/account/addresses", form=form)
        assert response.status_code == 403, token
        assert "form expired" in (await response.get_data(as_text=True)).lower()
    assert await fetchval("SELECT COUNT(*) FROM customer_addresses") == 0
    refused = await client.post("/account/password", form={"current_password": PASSWORD,
                                                           "new_password": "a brand new passphrase"})
    assert refused.status_code == 403
    assert (await login(shop.test_client(), "ada@example.test")).status_code == 303, "password unchanged"
    assert (await client.post("/account/delete", form={"password": PASSWORD})).status_code == 403
    assert await fetchval("SELECT COUNT(*) FROM customers") == 1
    assert (await client.post("/account/logout")).status_code == 403
    assert (await client.get("/account/addresses")).status_code == 200, "still signed in"

    created = await client.post("/account/addresses", form={**ADDRESS, "csrf_token": good})
    assert created.status_code == 303
    assert await fetchval("SELECT COUNT(*) FROM customer_addresses") == 1


async def test_a_token_from_another_session_does_not_work(shop):
    alice = await sign_up(shop, "alice@example.test")
    mallory = await sign_up(shop, "mallory@example.test")
    stolen = await page_token(mallory, "/account/addresses/new")
    response = await alice.post("/account/addresses", form={**ADDRESS, "csrf_token": stolen})
    assert response.status_code == 403


async def test_login_and_signup_forms_need_the_token(shop):
    client = shop.test_client()
    assert (await client.post("/account/signup", form={"email": "x@example.test", "password": PASSWORD})
            ).status_code == 403
    assert await fetchval("SELECT COUNT(*) FROM customers") == 0
    await sign_up(shop, "y@example.test")
    assert (await client.post("/account/login", form={"email": "y@example.test", "password": PASSWORD})
            ).status_code == 403


async def test_json_api_with_a_session_needs_the_header(shop):
    client = await sign_up(shop, "api@example.test")
    refused = await client.post("/api/v1/account/addresses", json=ADDRESS)
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    assert await fetchval("SELECT COUNT(*) FROM customer_addresses") == 0
    token = await page_token(client, "/account/addresses/new")
    created = await client.post("/api/v1/account/addresses", json=ADDRESS, headers={"X-CSRF-Token": token})
    assert created.status_code == 201
    address_id = (await created.get_json())["id"]
    assert (await client.delete(f"/api/v1/account/addresses/{address_id}")).status_code == 403
    assert (await client.delete(f"/api/v1/account/addresses/{address_id}",
                                headers={"X-CSRF-Token": token})).status_code == 204


async def test_exempt_requests(shop):
    """Bearer-token calls, cart-secret calls and webhooks need no CSRF token,
    even from a client holding a session cookie."""
    from engine.accounts.staff import create_token

    client = await sign_up(shop, "buyer@example.test")
    cart = await client.post("/api/v1/carts")
    assert cart.status_code == 201
    cart_id = (await cart.get_json())["id"]
    assert (await client.post(f"/api/v1/carts/{cart_id}/lines", json={"sku": "TEE-1", "quantity": 1})
            ).status_code == 201
    token, _ = await create_token("ops", ["plugins:write"])
    enabled = await client.post("/api/v1/admin/plugins/core_tax/disable", headers={"Authorization": f"Bearer {token}"})
    assert enabled.status_code == 200
    hook = await client.post("/webhooks/no_such_plugin", data=b"{}")
    assert hook.status_code != 403


async def test_admin_api_from_a_staff_session_needs_the_header(shop):
    from account_test_fixtures import make_staff, staff_login

    await make_staff("owner@example.test")
    staff = shop.test_client()
    await staff_login(staff, "owner@example.test")
    body = {"name": "from the admin", "scopes": ["catalog:read"]}
    refused = await staff.post("/api/v1/admin/tokens", json=body)
    assert refused.status_code == 403
    assert await fetchval("SELECT COUNT(*) FROM api_tokens") == 0
    token = await page_token(staff, "/admin/tokens")
    created = await staff.post("/api/v1/admin/tokens", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201
    shop_token = await page_token(await sign_up(shop, "x@example.test"), "/account")
    assert (await staff.post("/api/v1/admin/tokens", json=body, headers={"X-CSRF-Token": shop_token})
            ).status_code == 403, "a shopper-session token is not a staff-session token"
