"""Cursors the server did not make are refused with 400, on every database
(PostgreSQL's 32-bit columns included), never a server error."""
from __future__ import annotations

import itertools

from engine.db.cursor import encode_cursor

BIG = 2**40


async def test_out_of_range_catalog_cursors_are_400(shop):
    client = shop.test_client()
    for sort, key in itertools.product(["relevance", "price_asc", "price_desc", "newest"],
                                       [[BIG, BIG], [BIG], [1.5e300, BIG], [1.0, BIG], [100, BIG], ["x", 1]]):
        for query in ("", "&q=shirt"):
            response = await client.get(f"/api/v1/products?sort={sort}{query}&cursor={encode_cursor(sort, key)}")
            assert response.status_code in (200, 400), (sort, key, query)
            if response.status_code == 400:
                assert "cursor" in (await response.get_json())["errors"]


async def test_out_of_range_admin_cursors_are_400(shop, token):
    client = shop.test_client()
    headers = await token("all")
    for url, sort in [("/api/v1/admin/products", "admin_id_desc"), ("/api/v1/admin/webhooks", "id_desc"),
                      ("/api/v1/admin/webhooks/deliveries", "id_desc")]:
        response = await client.get(f"{url}?cursor={encode_cursor(sort, [BIG])}", headers=headers)
        assert response.status_code == 400, url
        valid = await client.get(f"{url}?cursor={encode_cursor(sort, [2**31 - 1])}", headers=headers)
        assert valid.status_code == 200, url


async def test_nul_characters_are_refused_before_the_database(shop, token):
    client = shop.test_client()
    headers = await token("all")
    assert (await client.get("/api/v1/products?q=a%00b")).status_code == 422
    assert (await client.get("/api/v1/products?colour%00=red")).status_code == 422
    assert (await client.get("/api/v1/products/a%00b")).status_code == 400
    response = await client.post("/api/v1/admin/categories", headers=headers,
                                 json={"slug": "nul", "name": "A\u0000B"})
    assert response.status_code == 422 and "name" in (await response.get_json())["errors"]
    escaped = await client.post("/api/v1/admin/categories", headers=headers,
                                json={"slug": "backslash", "name": "A\\u0000B"})
    assert escaped.status_code == 201, "an escaped backslash followed by u0000 is plain text"
    undecodable = await client.post("/api/v1/admin/categories", headers={**headers, "Content-Type": "application/json"},
                                    data=b"\xe0\x80{")
    assert undecodable.status_code == 400


async def test_integer_ids_beyond_32_bits_are_404(shop, token):
    client = shop.test_client()
    headers = await token("all")
    for path in ("/api/v1/admin/webhooks/866954665366045440", "/api/v1/admin/webhooks/deliveries/4294967296"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/problem+json"
