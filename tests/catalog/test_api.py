from __future__ import annotations

import pytest


async def test_product_list_and_pagination(catalog_app):
    client = catalog_app.test_client()
    response = await client.get("/api/v1/products?sort=price_asc&limit=3")
    assert response.status_code == 200
    data = await response.get_json()
    assert [item["slug"] for item in data["items"]] == ["tea-towel", "oxford-shirt", "flannel-shirt"]
    first = data["items"][0]
    assert set(first) == {"id", "slug", "title", "price_from", "image", "in_stock"}
    assert first["price_from"] == {"amount": 900, "currency": "EUR"}
    assert first["image"]["alt"]
    seen = [item["slug"] for item in data["items"]]
    cursor = data["next_cursor"]
    while cursor:
        page = await (await client.get("/api/v1/products", query_string={"sort": "price_asc", "limit": 3,
                                                                          "cursor": cursor})).get_json()
        seen += [item["slug"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 7


async def test_product_list_filters(catalog_app):
    client = catalog_app.test_client()
    data = await (await client.get("/api/v1/products?q=shirt&category=clothing&material=wool")).get_json()
    assert [item["slug"] for item in data["items"]] == ["flannel-shirt"]
    data = await (await client.get("/api/v1/products?min_price=4000&max_price=7000&sort=price_desc")).get_json()
    assert [item["slug"] for item in data["items"]] == ["chinos", "linen-shirt", "flannel-shirt"]
    data = await (await client.get("/api/v1/products?material=linen&material=wool&in_stock=true")).get_json()
    assert {item["slug"] for item in data["items"]} == {"tea-towel", "flannel-shirt", "wool-trousers"}


@pytest.mark.parametrize("query", ["sort=cheapest", "min_price=abc", "min_price=-1", "limit=0", "limit=1000",
                                   "max_price=1.5", "organic=maybe"])
async def test_bad_parameters_are_422_problems(catalog_app, query):
    response = await catalog_app.test_client().get(f"/api/v1/products?{query}")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = await response.get_json()
    assert body["status"] == 422 and body["errors"]


@pytest.mark.parametrize("cursor", ["garbage", "eyJzIjoibmV3ZXN0IiwiayI6WyJ4Il19", "e30"])
async def test_bad_cursor_is_400_problem(catalog_app, cursor):
    response = await catalog_app.test_client().get("/api/v1/products", query_string={"cursor": cursor})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "cursor" in (await response.get_json())["errors"]


async def test_injection_text_is_harmless(catalog_app):
    client = catalog_app.test_client()
    response = await client.get("/api/v1/products", query_string={"q": "'; DELETE FROM catalog_products; --"})
    assert response.status_code == 200
    assert (await response.get_json())["items"] == []
    assert len((await (await client.get("/api/v1/products")).get_json())["items"]) == 7


async def test_product_detail(catalog_app):
    client = catalog_app.test_client()
    response = await client.get("/api/v1/products/oxford-shirt")
    assert response.status_code == 200
    product = await response.get_json()
    assert product["slug"] == "oxford-shirt"
    assert product["variants"][0] == {"sku": "OXFORD-SHIRT-S", "options": {"colour": "Blue", "size": "S"},
                                      "price": {"amount": 3900, "currency": "EUR"}, "quantity_available": 5,
                                      "in_stock": True, "weight_grams": 300}
    assert all(isinstance(v["quantity_available"], int) for v in product["variants"])
    assert product["attributes"] == {"material": "cotton", "organic": True}


@pytest.mark.parametrize("slug", ["secret-draft", "no-such-product"])
async def test_missing_or_draft_product_is_404_problem(catalog_app, slug):
    response = await catalog_app.test_client().get(f"/api/v1/products/{slug}")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


async def test_categories_tree(catalog_app):
    data = await (await catalog_app.test_client().get("/api/v1/categories")).get_json()
    assert [c["slug"] for c in data["items"]] == ["clothing", "home"]
    assert data["items"][0]["children"][0]["children"][0]["slug"] == "linen-shirts"


async def test_openapi_describes_catalog_routes(catalog_app):
    spec = await (await catalog_app.test_client().get("/openapi.json")).get_json()
    assert "/api/v1/products" in spec["paths"]
    assert "/api/v1/products/{slug}" in spec["paths"]
    assert "/api/v1/categories" in spec["paths"]
    parameters = {p["name"] for p in spec["paths"]["/api/v1/products"]["get"]["parameters"]}
    assert {"q", "category", "cursor", "sort", "min_price", "max_price", "limit"} <= parameters


async def test_placeholder_images_are_deterministic(make_app, sqlite_url):
    client = (await make_app(database_url=sqlite_url)).test_client()
    first = await client.get("/media/placeholder/linen-shirt-1.svg")
    second = await client.get("/media/placeholder/linen-shirt-1.svg")
    assert first.status_code == 200 and first.content_type.startswith("image/svg+xml")
    assert await first.get_data() == await second.get_data()
    assert "immutable" in first.headers["Cache-Control"]
    other = await client.get("/media/placeholder/chinos-1.svg")
    assert await other.get_data() != await first.get_data()
    assert (await client.get("/media/placeholder/..%2Fsecret.svg")).status_code == 404
