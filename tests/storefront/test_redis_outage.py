"""The storefront while Redis (the session store and the job queue) is down
(issue 20, item 4; docs/deploy.md, "When Redis is down").

A private redis-server is stopped and started by the test; the app's
``SHOPWRIGHT_REDIS_URL`` points at it, so sessions live in Redis.

- A visitor without a Redis session shops as usual: add-to-cart, sign-in and
  checkout work on a session kept in the database (cookie ``d.``).
- A shopper whose session is in Redis browses the catalog signed out; the
  cart, checkout and account pages and every form post answer 503 "try
  again" (``Retry-After``), changing nothing.
- Changes that must end a user's sessions (a new password) are refused (503).
- Nothing answers 500; ``/readyz`` reports the queue down.
- When Redis is back, every session works again (the Redis ones and the
  database ones), and the events the outbox held are relayed.

Redis is stopped as one run with persistence would be (its data saved, and
loaded again when it starts); a Redis that comes back empty signs its
shoppers out (docs/deploy.md).
"""
from __future__ import annotations

import re

import pytest
from account_test_fixtures import PASSWORD, cookie_value, login, post_form, sign_up
from quart import Blueprint, session

from engine import PluginManifest, hookimpl
from engine.db.sql import fetch, fetchval
from engine.testing import wait_until
from engine.testing.checkout import ADDRESS, add_product

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DEADLINE = 60.0


async def csrf(client, path: str = "/p/tee") -> str:
    page = await (await client.get(path)).get_data(as_text=True)
    return CSRF.search(page).group(1)


async def add_to_cart(client, quantity: int = 1):
    token = await csrf(client)
    return await client.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": str(quantity)})


async def buy(client) -> str:
    """Check out the client's cart through the storefront forms; the order's page."""
    token = await csrf(client, "/cart")
    address = {f"shipping_{key}": value for key, value in ADDRESS.items()}
    steps = [{"step": "contact", "email": "walk-in@example.test", **address},
             {"step": "shipping", "shipping_method": "flat_rate:standard"},
             {"step": "payment", "payment_method": "manual"},
             {"step": "review"}]
    for form in steps:
        response = await client.post("/checkout", form={"csrf_token": token, **form})
        assert response.status_code == 303, (form["step"], response.status_code)
    return response.headers["Location"]


async def _try_again(response) -> bool:
    body = await response.get_data(as_text=True)
    return (response.status_code == 503 and "Please try again in a moment" in body
            and response.headers.get("Retry-After") == "30")


async def test_the_storefront_keeps_selling_while_redis_is_down(private_redis, make_app, database_url):
    app = await make_app(database_url=database_url, redis_url=private_redis.url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=10, slug="tee", title="Linen tee")

    # Before the outage: a shopper with a cart and a signed-in customer, both on Redis sessions.
    shopper = app.test_client()
    assert (await add_to_cart(shopper, 2)).status_code == 303
    customer = await sign_up(app, "ada@example.test")
    assert cookie_value(shopper, "sw_session").startswith("s.")
    assert cookie_value(customer, "sw_session").startswith("s.")
    carts_before = await fetchval("SELECT COUNT(*) FROM carts")

    private_redis.stop(keep_data=True)  # as a Redis run with persistence (docs/deploy.md)

    ready = await app.test_client().get("/readyz")
    body = await ready.get_json()
    assert ready.status_code == 503 and body["queue"]["ok"] is False
    assert body["sessions"]["ok"] is False and body["sessions"]["store"] == "redis"
    assert (await app.test_client().get("/healthz")).status_code == 200

    # A new visitor shops and buys: the session is kept in the database.
    visitor = app.test_client()
    added = await add_to_cart(visitor, 1)
    assert added.status_code == 303 and added.headers["Location"] == "/cart"
    assert cookie_value(visitor, "sw_session").startswith("d.")
    assert "Linen tee" in await (await visitor.get("/cart")).get_data(as_text=True)
    order_page = await buy(visitor)
    assert order_page.startswith("/orders/")
    assert (await visitor.get(order_page)).status_code == 200
    held = await fetch("SELECT id, name FROM outbox_events WHERE relayed_at IS NULL ORDER BY id")
    assert "order_placed" in {event["name"] for event in held}

    # Signing in works too, on a database session (rotated like any other).
    walk_in = app.test_client()
    signed_in = await login(walk_in, "ada@example.test")
    assert signed_in.status_code == 303 and cookie_value(walk_in, "sw_session").startswith("d.")
    assert (await walk_in.get("/account/addresses")).status_code == 200
    # ...but nothing that must end the account's other sessions (they are in Redis).
    refused = await post_form(walk_in, "/account/password",
                              {"current_password": PASSWORD, "new_password": "another sturdy passphrase 7"},
                              token_from="/account/password")
    assert await _try_again(refused)

    # Shoppers whose sessions are in Redis: catalog pages signed out, "try again" where the session is needed.
    assert (await shopper.get("/p/tee")).status_code == 200
    assert (await shopper.get("/")).status_code == 200
    for path in ("/cart", "/checkout", "/account/", "/account/addresses"):
        assert await _try_again(await shopper.get(path)), path
    assert await _try_again(await add_to_cart(shopper))
    assert await _try_again(await customer.get("/account/addresses"))
    assert await _try_again(await customer.get("/account/login"))
    assert await _try_again(await customer.post("/account/login", form={
        "csrf_token": "any", "email": "ada@example.test", "password": PASSWORD}))
    assert await _try_again(await customer.post("/account/logout", form={"csrf_token": "any"}))
    assert await fetchval("SELECT COUNT(*) FROM carts") == carts_before + 1  # the visitor's only
    assert cookie_value(shopper, "sw_session").startswith("s.")  # kept for when Redis is back
    # The JSON API needs no session: a cart through the API works.
    api_cart = await shopper.post("/api/v1/carts")
    assert api_cart.status_code in (200, 201)

    private_redis.start()

    async def shopper_back() -> bool:
        return (await shopper.get("/cart")).status_code == 200

    await wait_until(shopper_back, DEADLINE, what="the Redis sessions to be readable again")
    cart = await (await shopper.get("/cart")).get_data(as_text=True)
    assert "Linen tee" in cart and "€50.00" in cart
    assert (await customer.get("/account/addresses")).status_code == 200
    assert (await walk_in.get("/account/addresses")).status_code == 200  # the database session lives on
    assert (await add_to_cart(visitor, 1)).status_code == 303
    assert "Linen tee" in await (await visitor.get("/cart")).get_data(as_text=True)
    # The refused password change changed nothing.
    assert (await login(app.test_client(), "ada@example.test", PASSWORD)).status_code == 303

    # Sign-out everywhere reaches both stores.
    ended = await post_form(customer, "/account/sessions/end-others", {}, token_from="/account")
    assert ended.status_code == 200
    assert (await walk_in.get("/account/addresses")).status_code == 303

    async def relayed() -> bool:
        return await fetchval("SELECT COUNT(*) FROM outbox_events WHERE relayed_at IS NULL") == 0

    await wait_until(relayed, DEADLINE, what="the outbox to be relayed")
    ready = await app.test_client().get("/readyz")
    assert ready.status_code == 200 and (await ready.get_json())["sessions"]["ok"] is True


class RedisStopper:
    """A test plugin whose page stops the private Redis in the middle of a
    request, after the session was read and before it is saved."""

    MANIFEST = PluginManifest(name="redis_stopper", title="Redis stopper (tests)")

    def __init__(self, server) -> None:
        self.server = server

    @hookimpl
    def lifecycle_blueprints(self):
        blueprint = Blueprint("redis_stopper", __name__)

        @blueprint.get("/redis-stopper/remember")
        async def remember():
            self.server.stop(keep_data=True)
            session["remembered"] = True
            return "remembered"

        return [blueprint]


async def test_a_session_that_cannot_be_saved_turns_the_answer_into_try_again(private_redis, make_app):
    app = await make_app(plugins=[RedisStopper(private_redis)], redis_url=private_redis.url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=10, slug="tee", title="Linen tee")
    shopper = app.test_client()
    assert (await add_to_cart(shopper)).status_code == 303
    cookie = cookie_value(shopper, "sw_session")
    assert cookie.startswith("s.")

    response = await shopper.get("/redis-stopper/remember")
    assert await _try_again(response)
    assert "Set-Cookie" not in response.headers and cookie_value(shopper, "sw_session") == cookie
    assert response.headers["Content-Security-Policy"]  # the after-request headers stay

    private_redis.start()

    async def back() -> bool:
        return (await shopper.get("/cart")).status_code == 200

    await wait_until(back, DEADLINE, what="Redis to be back")
    assert "Linen tee" in await (await shopper.get("/cart")).get_data(as_text=True)
    async with shopper.session_transaction() as session_data:
        assert "remembered" not in session_data
