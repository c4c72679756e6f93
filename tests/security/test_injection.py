"""Hostile input: XSS payloads render escaped; SQL injection strings in
search and filters are plain text (normal results, nothing broken)."""
from __future__ import annotations

from account_test_fixtures import post_form, sign_up

from engine.catalog import services as catalog
from engine.db.sql import fetchval

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQLI = ["' OR 1=1 --", "'; DROP TABLE customers; --", '" OR ""="', "1) UNION SELECT password_hash FROM staff_users --",
        "%' AND 1=0 UNION SELECT NULL--", "\\'; SELECT pg_sleep(5); --"]


def _clean(body: str) -> bool:
    return "<script>alert" not in body and "<img src=x onerror" not in body


async def test_xss_in_product_names_addresses_names_and_search_is_escaped(shop):
    await catalog.save_category(shop.runtime, {"slug": "evil", "name": XSS})
    await catalog.save_product(shop.runtime, {
        "slug": "evil-product", "title": XSS, "description": XSS, "status": "published", "categories": ["evil"],
        "variants": [{"sku": "EVIL-1", "price_amount": 100, "stock": 3}]})
    client = await sign_up(shop, "xss@example.test", name=XSS)
    created = await post_form(client, "/account/addresses", {
        "first_name": XSS, "last_name": XSS, "company": XSS, "line1": XSS, "city": XSS, "postal_code": "10117",
        "country": "DE"}, token_from="/account/addresses/new")
    assert created.status_code == 303
    for path in ("/p/evil-product", "/c/evil", f"/search?q={XSS}", "/account", "/account/addresses",
                 "/account/addresses/new"):
        response = await client.get(path)
        body = await response.get_data(as_text=True)
        assert _clean(body), path
    body = await (await client.get("/account/addresses")).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    search = await (await client.get("/search", query_string={"q": XSS})).get_data(as_text=True)
    assert "&lt;script&gt;" in search and _clean(search)
    refused = await post_form(client, "/account/signup", {"email": XSS, "password": "a sturdy passphrase 42"},
                              token_from="/account/signup")
    assert refused.status_code == 422 and _clean(await refused.get_data(as_text=True))
    api = await client.get("/api/v1/account")
    assert (await api.get_json())["name"] == XSS and api.content_type.startswith("application/json")


async def test_sql_injection_strings_in_search_and_filters_are_plain_text(shop):
    client = shop.test_client()
    baseline = await (await client.get("/api/v1/products", query_string={"q": "zzzz-no-match"})).get_json()
    everything = await (await client.get("/api/v1/products")).get_json()
    assert len(everything["items"]) == 2
    for attack in SQLI:
        api = await client.get("/api/v1/products", query_string={"q": attack})
        assert api.status_code == 200, attack
        assert (await api.get_json())["items"] == baseline["items"], attack
        by_category = await client.get("/api/v1/products", query_string={"category": attack})
        assert by_category.status_code in (200, 404, 422), attack
        assert by_category.status_code != 500
        page = await client.get("/search", query_string={"q": attack})
        assert page.status_code == 200, attack
        filtered = await client.get("/search", query_string={"q": "product", "material": attack, "min_price": attack,
                                                             "sort": attack, "cursor": attack})
        assert filtered.status_code == 200, attack
        login = await post_form(client, "/account/login", {"email": attack, "password": attack})
        assert login.status_code == 401, attack
    assert await fetchval("SELECT COUNT(*) FROM customers") == 0
    assert await fetchval("SELECT COUNT(*) FROM catalog_products") == 2, "nothing was dropped or changed"
