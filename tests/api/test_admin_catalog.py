"""Admin catalog API: scopes, products, variants, prices, stock, categories."""
from __future__ import annotations

import json

from engine.catalog import services
from engine.db.sql import fetch, fetchval

PRODUCT = {
    "slug": "linen-shirt", "title": "Linen shirt", "status": "published", "categories": ["shirts"],
    "description": "Breathable.", "images": [{"url": "/media/x.svg", "alt": "A linen shirt"}],
    "variants": [
        {"sku": "LIN-S", "options": {"size": "S"}, "price": {"amount": 5900}, "stock": 3},
        {"sku": "LIN-M", "options": {"size": "M"}, "price": {"amount": 6100, "currency": "EUR"}},
    ],
}


async def events(name: str) -> list[dict]:
    rows = await fetch("SELECT payload FROM outbox_events WHERE name = {} ORDER BY id", name)
    return [json.loads(row["payload"]) for row in rows]


def admin_catalog_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin_catalog_api.")]


async def test_every_route_declares_its_scope_and_refuses_without_it(shop, token):
    client = shop.test_client()
    rules = admin_catalog_rules(shop)
    assert len(rules) >= 18
    reader, stranger = await token("catalog:read"), await token("orders:read,customers:write")
    for rule in rules:
        view = shop.view_functions[rule.endpoint]
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        expected = "catalog:read" if method == "GET" else "catalog:write"
        assert view.required_permission == expected, rule.rule
        path = rule.rule.replace("<slug>", "oxford-shirt").replace("<path:sku>", "OX-S") \
            .replace("<warehouse>", "default")
        response = await client.open(path, method=method, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["Content-Type"] == "application/problem+json"
        response = await client.open(path, method=method, json={}, headers=stranger)
        assert response.status_code == 403, (method, path)
        if method != "GET":
            response = await client.open(path, method=method, json={}, headers=reader)
            assert response.status_code == 403, (method, path)
    bogus = {"Authorization": "Bearer swt_not-a-real-token"}
    assert (await client.get("/api/v1/admin/products", headers=bogus)).status_code == 401


async def test_product_lifecycle(shop, token):
    client = shop.test_client()
    headers = await token("catalog:read,catalog:write")
    response = await client.post("/api/v1/admin/products", json=PRODUCT, headers=headers)
    assert response.status_code == 201, await response.get_data()
    created = await response.get_json()
    assert [v["sku"] for v in created["variants"]] == ["LIN-S", "LIN-M"]
    assert created["variants"][0]["quantity_available"] == 3
    assert created["price_from"] == {"amount": 5900, "currency": "EUR"}
    assert (await events("product_saved"))[-1] == {"product_id": created["id"], "slug": "linen-shirt",
                                                   "status": "published", "created": True}
    assert (await events("stock_changed"))[-1]["sku"] == "LIN-S"
    public = await (await client.get("/api/v1/products/linen-shirt")).get_json()
    assert public["variants"][1]["price"] == {"amount": 6100, "currency": "EUR"}

    duplicate = await client.post("/api/v1/admin/products", json=PRODUCT, headers=headers)
    assert duplicate.status_code == 409

    response = await client.patch("/api/v1/admin/products/linen-shirt", json={"title": "Linen shirt II",
                                                                               "seo_title": ""}, headers=headers)
    assert response.status_code == 200
    patched = await response.get_json()
    assert patched["title"] == "Linen shirt II" and patched["status"] == "published"
    assert [v["sku"] for v in patched["variants"]] == ["LIN-S", "LIN-M"], "untouched lists stay"
    assert patched["categories"] == [{"slug": "shirts", "name": "Shirts"}]
    assert patched["variants"][0]["quantity_available"] == 3

    archived = await (await client.post("/api/v1/admin/products/linen-shirt/archive", headers=headers)).get_json()
    assert archived["status"] == "draft"
    assert (await client.get("/api/v1/products/linen-shirt")).status_code == 404
    assert (await client.get("/api/v1/admin/products/linen-shirt", headers=headers)).status_code == 200

    assert (await client.delete("/api/v1/admin/products/linen-shirt", headers=headers)).status_code == 204
    assert (await events("product_deleted"))[-1]["slug"] == "linen-shirt"
    assert (await client.get("/api/v1/admin/products/linen-shirt", headers=headers)).status_code == 404
    assert (await client.delete("/api/v1/admin/products/linen-shirt", headers=headers)).status_code == 404
    assert await fetchval("SELECT COUNT(*) FROM catalog_variants WHERE sku LIKE 'LIN-%'") == 0


async def test_validation_errors_are_problems_with_field_errors(shop, token):
    client = shop.test_client()
    headers = await token("all")
    cases = [
        ({**PRODUCT, "slug": "Bad Slug"}, "slug"),
        ({**PRODUCT, "variants": [{"sku": "X", "price": {"amount": -1}}]}, "variants.0.price.amount"),
        ({**PRODUCT, "surprise": True}, "surprise"),
        ({**PRODUCT, "categories": ["no-such-category"]}, "categories"),
    ]
    taken = ({**PRODUCT, "variants": [{"sku": "OX-S", "price": {"amount": 100}}]}, "variants")  # the shop's state: 409
    for body, field in [*cases, taken]:
        response = await client.post("/api/v1/admin/products", json=body, headers=headers)
        status = 409 if field == "variants" else 422
        assert response.status_code == status, (field, await response.get_data())
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = await response.get_json()
        assert problem["status"] == status and problem["title"]
        assert field in problem["errors"], (field, problem)
    assert await fetchval("SELECT COUNT(*) FROM catalog_products WHERE slug = 'linen-shirt'") == 0
    response = await client.post("/api/v1/admin/products", data="not json", headers={
        **headers, "Content-Type": "application/json"})
    assert response.status_code in (400, 422)


async def test_listing_pages_with_cursor_and_includes_drafts(shop, token):
    client = shop.test_client()
    headers = await token("catalog:read")
    seen, cursor = [], None
    while True:
        url = "/api/v1/admin/products?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await (await client.get(url, headers=headers)).get_json()
        seen += [item["slug"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["draft-hat", "tea-towel", "oxford-shirt"]
    drafts = await (await client.get("/api/v1/admin/products?status=draft", headers=headers)).get_json()
    assert [item["slug"] for item in drafts["items"]] == ["draft-hat"]
    found = await (await client.get("/api/v1/admin/products?q=towel", headers=headers)).get_json()
    assert [item["slug"] for item in found["items"]] == ["tea-towel"]
    bad = await client.get("/api/v1/admin/products?cursor=garbage", headers=headers)
    assert bad.status_code == 400 and "cursor" in (await bad.get_json())["errors"]


async def test_variants_prices_and_stock(shop, token):
    client = shop.test_client()
    headers = await token("catalog:read,catalog:write")
    await services.save_warehouse(shop.runtime, "east", "East depot")

    response = await client.post("/api/v1/admin/products/oxford-shirt/variants", headers=headers,
                                 json={"sku": "OX-L", "options": {"size": "L"}, "price": {"amount": 4100}, "stock": 7})
    assert response.status_code == 201, await response.get_data()
    assert (await response.get_json())["product"] == "oxford-shirt"
    assert (await client.post("/api/v1/admin/products/oxford-shirt/variants", headers=headers,
                              json={"sku": "OX-L", "price": {"amount": 1}})).status_code == 409
    variants = await (await client.get("/api/v1/admin/products/oxford-shirt/variants", headers=headers)).get_json()
    assert [v["sku"] for v in variants["items"]] == ["OX-S", "OX-M", "OX-L"]

    response = await client.put("/api/v1/admin/variants/OX-M/price", headers=headers, json={"amount": 3500})
    assert response.status_code == 200
    assert (await response.get_json())["price"] == {"amount": 3500, "currency": "EUR"}
    public = await (await client.get("/api/v1/products/oxford-shirt")).get_json()
    assert public["price_from"]["amount"] == 3500
    assert (await events("product_saved"))[-1]["slug"] == "oxford-shirt"

    response = await client.patch("/api/v1/admin/variants/OX-L", headers=headers,
                                  json={"options": {"size": "XL"}, "weight_grams": 250})
    variant = await response.get_json()
    assert variant["options"] == {"size": "XL"} and variant["weight_grams"] == 250
    assert variant["price"]["amount"] == 4100 and variant["quantity_available"] == 7

    response = await client.put("/api/v1/admin/variants/OX-S/stock/east", headers=headers, json={"on_hand": 4})
    assert response.status_code == 200
    assert await response.get_json() == {"warehouse": "east", "on_hand": 4, "reserved": 0, "available": 4}
    variant_id = (await (await client.get("/api/v1/admin/variants/OX-S", headers=headers)).get_json())["id"]
    assert (await events("stock_changed"))[-1] == {"sku": "OX-S", "variant_id": variant_id,
                                                   "warehouse": "east", "on_hand": 4, "reserved": 0, "available": 4,
                                                   "origin": "catalog"}
    stock = await (await client.get("/api/v1/admin/variants/OX-S/stock", headers=headers)).get_json()
    assert stock == {"sku": "OX-S", "quantity_available": 9, "items": [
        {"warehouse": "default", "on_hand": 5, "reserved": 0, "available": 5},
        {"warehouse": "east", "on_hand": 4, "reserved": 0, "available": 4}]}
    public = await (await client.get("/api/v1/products/oxford-shirt")).get_json()
    assert public["variants"][0]["quantity_available"] == 9
    assert (await client.put("/api/v1/admin/variants/OX-S/stock/west", headers=headers,
                             json={"on_hand": 1})).status_code == 404
    assert (await client.put("/api/v1/admin/variants/NOPE/stock/east", headers=headers,
                             json={"on_hand": 1})).status_code == 404
    negative = await client.put("/api/v1/admin/variants/OX-S/stock/east", headers=headers, json={"on_hand": -1})
    assert negative.status_code == 422 and "on_hand" in (await negative.get_json())["errors"]

    await fetch("UPDATE catalog_stock SET reserved = 1 WHERE variant = (SELECT id FROM catalog_variants "
                "WHERE sku = 'OX-L')")
    refused = await client.delete("/api/v1/admin/variants/OX-L", headers=headers)
    assert refused.status_code == 409
    assert (await client.delete("/api/v1/admin/products/oxford-shirt", headers=headers)).status_code == 409
    await fetch("UPDATE catalog_stock SET reserved = 0")
    assert (await client.delete("/api/v1/admin/variants/OX-L", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/admin/variants/OX-L", headers=headers)).status_code == 404
    warehouses = await (await client.get("/api/v1/admin/warehouses", headers=headers)).get_json()
    assert [w["code"] for w in warehouses["items"]] == ["default", "east"]


async def test_categories(shop, token):
    client = shop.test_client()
    headers = await token("catalog:read,catalog:write")
    listing = await (await client.get("/api/v1/admin/categories", headers=headers)).get_json()
    assert {c["slug"]: c["parent"] for c in listing["items"]} == {"apparel": None, "shirts": "apparel"}
    response = await client.post("/api/v1/admin/categories", headers=headers,
                                 json={"slug": "linen", "name": "Linen", "parent": "shirts"})
    assert response.status_code == 201
    assert (await response.get_json())["parent"] == "shirts"
    assert (await client.post("/api/v1/admin/categories", headers=headers,
                              json={"slug": "linen", "name": "Again"})).status_code == 409
    bad_parent = await client.post("/api/v1/admin/categories", headers=headers,
                                   json={"slug": "wool", "name": "Wool", "parent": "nowhere"})
    assert bad_parent.status_code == 422 and "parent" in (await bad_parent.get_json())["errors"]
    cycle = await client.patch("/api/v1/admin/categories/apparel", headers=headers, json={"parent": "linen"})
    assert cycle.status_code == 422
    moved = await client.patch("/api/v1/admin/categories/linen", headers=headers, json={"parent": None,
                                                                                      "name": "Linen things"})
    assert (await moved.get_json()) | {"id": 0} == {
        "id": 0, "slug": "linen", "name": "Linen things", "parent": None, "description": "", "position": 0,
        "seo_title": "", "seo_description": "", "product_count": 0}
    tree = await (await client.get("/api/v1/categories")).get_json()
    assert "linen" in [node["slug"] for node in tree["items"]]
    shirts = await (await client.get("/api/v1/admin/categories/shirts", headers=headers)).get_json()
    assert shirts["product_count"] == 1
    assert (await client.delete("/api/v1/admin/categories/apparel", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/admin/categories/apparel", headers=headers)).status_code == 404
    shirts = await (await client.get("/api/v1/admin/categories/shirts", headers=headers)).get_json()
    assert shirts["parent"] is None, "children of a deleted category become roots"
