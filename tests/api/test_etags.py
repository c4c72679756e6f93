"""ETags and If-None-Match on the catalog reads."""
from __future__ import annotations

from engine.catalog import services

READS = ["/api/v1/products", "/api/v1/products/oxford-shirt", "/api/v1/categories", "/api/v1/products?q=shirt"]


async def test_unchanged_read_answers_304_without_a_body(shop):
    for path in READS:
        await _check_conditional_get(shop.test_client(), path)


async def _check_conditional_get(client, path: str) -> None:
    first = await client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["Cache-Control"] == "no-cache"
    again = await client.get(path)
    assert again.headers["ETag"] == etag, "the same representation has the same ETag"
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = await client.get(path, headers={"If-None-Match": header})
        assert cached.status_code == 304, header
        assert await cached.get_data() == b""
        assert cached.headers["ETag"] == etag
    stale = await client.get(path, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and await stale.get_json() == await first.get_json()


async def test_price_change_changes_the_etag_at_once(shop, token):
    client = shop.test_client()
    headers = await token("catalog:write")
    before = {path: (await client.get(path)).headers["ETag"] for path in READS[:2]}
    response = await client.put("/api/v1/admin/variants/OX-S/price", json={"amount": 3700}, headers=headers)
    assert response.status_code == 200
    for path, etag in before.items():
        fresh = await client.get(path, headers={"If-None-Match": etag})
        assert fresh.status_code == 200, path
        assert fresh.headers["ETag"] != etag
    product = await (await client.get("/api/v1/products/oxford-shirt")).get_json()
    assert product["variants"][0]["price"]["amount"] == 3700


async def test_stock_change_changes_the_product_etag(shop, token):
    client = shop.test_client()
    path = "/api/v1/products/oxford-shirt"
    etag = (await client.get(path)).headers["ETag"]
    headers = await token("catalog:write")
    response = await client.put("/api/v1/admin/variants/OX-M/stock/default", json={"on_hand": 1}, headers=headers)
    assert response.status_code == 200
    fresh = await client.get(path, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert (await fresh.get_json())["variants"][1]["quantity_available"] == 1
    etag = fresh.headers["ETag"]
    await services.set_stock(shop.runtime, "OX-M", None, 1)  # same value: same representation
    assert (await client.get(path, headers={"If-None-Match": etag})).status_code == 304
    await services.set_stock(shop.runtime, "OX-M", None, 0)
    assert (await client.get(path, headers={"If-None-Match": etag})).status_code == 200


async def test_errors_and_other_routes_carry_no_etag(shop):
    client = shop.test_client()
    missing = await client.get("/api/v1/products/no-such-thing")
    assert missing.status_code == 404 and "ETag" not in missing.headers
    assert "ETag" not in (await client.get("/healthz")).headers
