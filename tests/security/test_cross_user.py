"""One customer can never read, change or pay another's cart, order, address
or account: by the web pages or the JSON API the answer is 404 (as for
something that does not exist)."""
from __future__ import annotations

from account_test_fixtures import customer_id, page_token, post_form, sign_up

from engine.cart import services as carts
from engine.db.sql import fetchone, fetchval
from engine.testing.checkout import cart_with, checkout

ADDRESS = {"first_name": "Bea", "last_name": "Private", "line1": "Secret Street 9", "city": "Hamburg",
           "postal_code": "20095", "country": "DE"}


async def test_customers_cannot_reach_each_others_things(shop):
    alice = await sign_up(shop, "alice@example.test")
    bob = await sign_up(shop, "bob@example.test")
    bob_id = await customer_id("bob@example.test")

    # Bob's address
    await post_form(bob, "/account/addresses", ADDRESS, token_from="/account/addresses/new")
    address = (await (await bob.get("/api/v1/account/addresses")).get_json())["items"][0]
    token = await page_token(alice, "/account/addresses/new")
    assert (await alice.get(f"/account/addresses/{address['id']}")).status_code == 404
    changed = await post_form(alice, f"/account/addresses/{address['id']}", {**ADDRESS, "city": "Bremen",
                                                                              "postal_code": "28195"},
                              token_from="/account/addresses/new")
    assert changed.status_code == 404
    assert (await post_form(alice, f"/account/addresses/{address['id']}/delete", {},
                            token_from="/account/addresses/new")).status_code == 404
    assert (await alice.get(f"/api/v1/account/addresses/{address['id']}")).status_code == 404
    assert (await alice.patch(f"/api/v1/account/addresses/{address['id']}", json={"city": "Bremen"},
                              headers={"X-CSRF-Token": token})).status_code == 404
    assert (await alice.delete(f"/api/v1/account/addresses/{address['id']}",
                               headers={"X-CSRF-Token": token})).status_code == 404
    row = await fetchone("SELECT city, customer FROM customer_addresses WHERE id = {}", address["id"])
    assert row == {"city": "Hamburg", "customer": bob_id}
    listed = await (await alice.get("/account/addresses")).get_data(as_text=True)
    assert "Secret Street" not in listed

    # Bob's order
    cart = await cart_with(bob, "TEE-1", 1)
    placed = await checkout(bob, cart, email="bob@example.test")
    number = (await placed.get_json())["number"]
    assert (await bob.get(f"/api/v1/orders/{number}")).status_code == 200
    assert (await alice.get(f"/api/v1/orders/{number}")).status_code == 404
    assert (await alice.get(f"/api/v1/orders/{number}?token=forged")).status_code == 404
    assert (await shop.test_client().get(f"/api/v1/orders/{number}")).status_code == 404
    web = await alice.get(f"/orders/{number}")
    assert web.status_code == 404 and "bob@example.test" not in await web.get_data(as_text=True)
    assert number not in await (await alice.get("/account/orders")).get_data(as_text=True)
    assert (await (await alice.get("/api/v1/account/orders")).get_json())["items"] == []

    # Bob's cart (tied to his account): read, change, pay
    bob_cart = await carts.create_cart(shop.runtime, customer=bob_id)
    assert (await bob.get(f"/api/v1/carts/{bob_cart}")).status_code == 200
    assert (await bob.post(f"/api/v1/carts/{bob_cart}/lines", json={"sku": "TEE-1", "quantity": 1})).status_code == 201
    for client in (alice, shop.test_client()):
        assert (await client.get(f"/api/v1/carts/{bob_cart}")).status_code == 404
        assert (await client.post(f"/api/v1/carts/{bob_cart}/lines", json={"sku": "CAP-1", "quantity": 1})
                ).status_code == 404
        assert (await client.delete(f"/api/v1/carts/{bob_cart}/lines/TEE-1")).status_code == 404
        assert (await client.get(f"/api/v1/carts/{bob_cart}/payment-methods")).status_code == 404
        assert (await checkout(client, bob_cart, email="alice@example.test")).status_code == 404
    assert await fetchval("SELECT COUNT(*) FROM cart_lines cl JOIN carts c ON c.id = cl.cart WHERE c.token = {}",
                          bob_cart) == 1
    assert await fetchval("SELECT COUNT(*) FROM orders WHERE email = {}", "alice@example.test") == 0

    # Bob's account
    profile = await (await alice.get("/api/v1/account")).get_json()
    assert profile["email"] == "alice@example.test"
    export = await (await alice.get("/account/export")).get_data(as_text=True)
    assert "bob@example.test" not in export and "Secret Street" not in export
