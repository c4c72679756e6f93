"""Invalid text is refused at the edge (issue 20, item 6): lone UTF-16
surrogates, undecodable bytes and NUL characters in JSON bodies, forms and
query strings answer 422 naming the field, JSON nested without bound 400 —
never 500, and nothing is written."""
from __future__ import annotations

import json

from account_test_fixtures import page_token, sign_up

from engine.db.sql import fetchval
from engine.testing.checkout import ADDRESS, cart_with, checkout_body

LONE_SURROGATES = ["\ud800", "\udfff", "a\ud83db", "\udc00\ud800"]


def raw_json(value) -> bytes:
    """``value`` as JSON, lone surrogates written as ``\\uXXXX`` escapes (what a client may send)."""
    return json.dumps(value).encode()


async def test_lone_surrogates_in_json_bodies_are_422(shop):
    client = shop.test_client()
    cart = await cart_with(client, "TEE-1")
    headers = {"Content-Type": "application/json"}
    for text in LONE_SURROGATES:
        line = await client.post(f"/api/v1/carts/{cart}/lines", data=raw_json({"sku": text}), headers=headers)
        assert line.status_code == 422, text
        assert line.headers["Content-Type"] == "application/problem+json"
        body = checkout_body(shipping_address={**ADDRESS, "first_name": text})
        placed = await client.post(f"/api/v1/carts/{cart}/checkout", data=raw_json(body),
                                   headers={**headers, "Idempotency-Key": f"surrogate-{ord(text[0])}-{len(text)}"})
        assert placed.status_code == 422, text
        assert (await placed.get_json())["errors"] == {
            "shipping_address.first_name": "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"}
    assert await fetchval("SELECT COUNT(*) FROM orders") == 0
    paired = await client.post(f"/api/v1/carts/{cart}/lines", data=raw_json({"sku": "TEE-1 \U0001F600"}),
                               headers=headers)
    assert paired.status_code in (404, 422), "a proper pair is text; the SKU just does not exist"
    assert "surrogate" not in json.dumps(await paired.get_json())


async def test_deeply_nested_json_is_refused_before_it_is_walked(shop):
    client = shop.test_client()
    cart = await cart_with(client)
    for depth in (33, 1025, 100_000):
        body = b"[" * depth + b"]" * depth
        response = await client.post(f"/api/v1/carts/{cart}/lines", data=body,
                                     headers={"Content-Type": "application/json"})
        assert response.status_code == 400, depth
        assert "nested" in (await response.get_json())["detail"]
    nested = {"sku": "TEE-1", "quantity": 1, "extra": [[[[[[1]]]]]]}
    assert (await client.post(f"/api/v1/carts/{cart}/lines", json=nested)).status_code == 201


async def test_nul_and_undecodable_bytes_in_query_strings_and_forms_are_422(shop):
    client = shop.test_client()
    for query in ("q=a%00b", "q=%ED%A0%80", "q=%FF", "colour%00=red"):
        response = await client.get(f"/api/v1/products?{query}")
        assert response.status_code == 422, query
        assert response.headers["Content-Type"] == "application/problem+json"
        page = await client.get(f"/search?{query}")
        assert page.status_code == 422, query
        assert page.headers["Content-Type"].startswith("text/html")
    assert (await client.get("/api/v1/products?q=caf%C3%A9")).status_code == 200

    shopper = await sign_up(shop, "text@example.test")
    token = await page_token(shopper, "/account/addresses/new")
    form = ("first_name=%ED%A0%80&last_name=X&line1=Street+1&city=Berlin&postal_code=10117&country=DE"
            f"&csrf_token={token}")
    response = await shopper.post("/account/addresses", data=form.encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422
    assert await fetchval("SELECT COUNT(*) FROM customer_addresses") == 0
