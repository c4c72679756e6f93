"""Shopper accounts: sign-up and the password policy, sign-in, the address
book (web and API), order history, data export and deletion."""
from __future__ import annotations

import json

from account_test_fixtures import PASSWORD, customer_id, login, page_token, post_form, sign_up

from engine.accounts import passwords
from engine.db.sql import fetch, fetchone, fetchval
from engine.testing.checkout import cart_with, checkout

ADDRESS = {"first_name": "Ada", "last_name": "Lovelace", "line1": "Unter den Linden 1", "city": "Berlin",
           "postal_code": "10117", "country": "DE"}


async def test_signup_hashes_with_argon2id_and_enforces_the_policy(shop):
    client = shop.test_client()
    for password, reason in (("short pass", "at least 12"), ("password1234", "too common"),
                             ("qwertyuiop123", "too common"), ("aaaaaaaaaaaaaaa", "too common"),
                             ("x" * 257, "at most 256")):
        response = await post_form(client, "/account/signup", {"email": "ada@example.test", "password": password})
        assert response.status_code == 422, password
        assert reason in await response.get_data(as_text=True), password
    assert await fetchval("SELECT COUNT(*) FROM customers") == 0

    long_password = "correct horse battery staple " * 5  # 145 characters
    await sign_up(shop, "ada@example.test", long_password)
    stored = await fetchval("SELECT password_hash FROM customers WHERE email = {}", "ada@example.test")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert long_password not in stored
    # no truncation: a difference at the very end matters
    assert (await login(shop.test_client(), "ada@example.test", long_password[:-1] + "!")).status_code == 401
    assert (await login(shop.test_client(), "ADA@example.test ", long_password)).status_code == 303
    sixty_four = "Tr0ub4dor&3-" * 5 + "x" * 4
    assert len(sixty_four) == 64 and not passwords.is_common(sixty_four)
    await sign_up(shop, "bob@example.test", sixty_four)
    duplicate = await post_form(shop.test_client(), "/account/signup", {"email": "Bob@Example.test",
                                                                        "password": PASSWORD})
    assert duplicate.status_code == 303 and duplicate.headers["Location"] == "/account/signup/sent"
    assert await fetchval("SELECT COUNT(*) FROM customers WHERE email = {}", "bob@example.test") == 1


async def test_sign_in_and_out(shop):
    await sign_up(shop, "carol@example.test")
    client = shop.test_client()
    assert (await client.get("/account/orders")).status_code == 303
    wrong = await login(client, "carol@example.test", "not the right one")
    assert wrong.status_code == 401 and "wrong" in await wrong.get_data(as_text=True)
    nobody = await login(client, "nobody@example.test", "not the right one")
    assert nobody.status_code == 401
    assert (await wrong.get_data(as_text=True)).count("wrong") == (await nobody.get_data(as_text=True)).count("wrong")
    response = await login(client, "carol@example.test")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    page = await (await client.get("/account")).get_data(as_text=True)
    assert "Signed in as carol@example.test" in page
    redirected = await post_form(client, "/account/login", {"email": "carol@example.test", "password": PASSWORD,
                                                            "next": "//evil.example/steal"})
    assert redirected.headers["Location"] == "/account", "no open redirect"
    await post_form(client, "/account/logout", {}, token_from="/account")
    assert "Signed in as" not in await (await client.get("/account")).get_data(as_text=True)


async def test_address_book_by_web_and_api(shop):
    client = await sign_up(shop, "dan@example.test")
    created = await post_form(client, "/account/addresses", {**ADDRESS, "is_default": "1"},
                              token_from="/account/addresses/new")
    assert created.status_code == 303
    bad = await post_form(client, "/account/addresses", {**ADDRESS, "postal_code": "ABC", "country": "DE"},
                          token_from="/account/addresses/new")
    assert bad.status_code == 422 and "postcode" in await bad.get_data(as_text=True)
    listing = await client.get("/api/v1/account/addresses")
    items = (await listing.get_json())["items"]
    assert len(items) == 1 and items[0]["city"] == "Berlin" and items[0]["is_default"] is True
    address_id = items[0]["id"]
    token = await page_token(client, "/account/addresses")
    updated = await client.patch(f"/api/v1/account/addresses/{address_id}", json={"city": "Potsdam",
                                                                                  "postal_code": "14467"},
                                 headers={"X-CSRF-Token": token})
    assert updated.status_code == 200 and (await updated.get_json())["city"] == "Potsdam"
    second = await client.post("/api/v1/account/addresses", json={**ADDRESS, "country": "FR", "postal_code": "75001",
                                                                  "city": "Paris", "is_default": True},
                               headers={"X-CSRF-Token": token})
    assert second.status_code == 201
    defaults = [a["is_default"] for a in (await (await client.get("/api/v1/account/addresses")).get_json())["items"]]
    assert defaults == [False, True]
    page = await (await client.get(f"/account/addresses/{address_id}")).get_data(as_text=True)
    assert 'value="Potsdam"' in page
    deleted = await post_form(client, f"/account/addresses/{address_id}/delete", {}, token_from="/account/addresses")
    assert deleted.status_code == 303
    assert len((await (await client.get("/api/v1/account/addresses")).get_json())["items"]) == 1
    assert (await shop.test_client().get("/api/v1/account/addresses")).status_code == 401


async def _order(client, email: str, *items: tuple[str, int]) -> dict:
    cart = await cart_with(client)
    for sku, quantity in items:
        assert (await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "quantity": quantity})
                ).status_code == 201
    response = await checkout(client, cart, email=email)
    assert response.status_code == 201, await response.get_json()
    return await response.get_json()


async def test_order_history_export_and_deletion_keeps_orders_anonymised(shop):
    client = await sign_up(shop, "erin@example.test", name="Erin Example")
    me = await customer_id("erin@example.test")
    first = await _order(client, "erin@example.test", ("TEE-1", 1))
    second = await _order(client, "erin@example.test", ("CAP-1", 2))
    guest = await _order(shop.test_client(), "guest@example.test", ("TEE-1", 1))
    history = (await (await client.get("/api/v1/account/orders")).get_json())["items"]
    assert [o["number"] for o in history] == [second["number"], first["number"]]
    page = await (await client.get("/account/orders")).get_data(as_text=True)
    assert first["number"] in page and second["number"] in page and guest["number"] not in page
    # the signed-in customer may read their order without its token
    own = await client.get(f"/api/v1/orders/{first['number']}")
    assert own.status_code == 200

    await post_form(client, "/account/addresses", ADDRESS, token_from="/account/addresses/new")
    export = await client.get("/account/export")
    assert export.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(await export.get_data(as_text=True))
    assert data["account"]["email"] == "erin@example.test" and data["account"]["name"] == "Erin Example"
    assert len(data["addresses"]) == 1 and {o["number"] for o in data["orders"]} == {first["number"], second["number"]}
    assert "password_hash" not in json.dumps(data)

    refused = await post_form(client, "/account/delete", {"password": PASSWORD}, token_from="/account/delete")
    assert refused.status_code == 422 and "in progress" in await refused.get_data(as_text=True)
    await fetch("UPDATE orders SET status = 'completed' WHERE customer = {}", me)
    wrong = await post_form(client, "/account/delete", {"password": "not my password"}, token_from="/account/delete")
    assert wrong.status_code == 422
    gone = await post_form(client, "/account/delete", {"password": PASSWORD}, token_from="/account/delete")
    assert gone.status_code == 200 and "Account deleted" in await gone.get_data(as_text=True)
    assert await fetchval("SELECT COUNT(*) FROM customers WHERE id = {}", me) == 0
    assert await fetchval("SELECT COUNT(*) FROM customer_addresses WHERE customer = {}", me) == 0
    assert await fetchval("SELECT COUNT(*) FROM sessions WHERE user_id = {}", me) == 0
    for number in (first["number"], second["number"]):
        order = await fetchone("SELECT * FROM orders WHERE number = {}", number)
        assert order is not None and order["customer"] is None and order["total"] > 0
        assert order["email"].startswith("deleted-") and order["email"].endswith("@invalid")
        shipped_to = json.loads(order["shipping_address"])
        assert shipped_to["first_name"] == "Deleted" and "Lovelace" not in order["shipping_address"]
        assert shipped_to["country"] == "DE"
    kept = await fetchone("SELECT * FROM orders WHERE number = {}", guest["number"])
    assert kept["email"] == "guest@example.test", "other orders are untouched"
    assert (await client.get("/account/orders")).status_code == 303
    assert (await login(shop.test_client(), "erin@example.test")).status_code == 401
