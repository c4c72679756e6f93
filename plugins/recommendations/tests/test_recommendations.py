"""Recommendations trained by the worker's job on a seeded shop: planted
pairs in the top 3, the block in both themes' product and cart pages, the
JSON endpoint, what is never shown, the fallback, and no model computation
on the request path (SQLite and PostgreSQL)."""
from __future__ import annotations

import re

import pytest
from seeded_shop import PLANTED, add_orders, seed

from engine import sdk
from engine.testing.themes import activate_theme
from shopwright_recommendations import models, plugin


async def _trained(make_app, database_url, orders: int = 240):
    app = await make_app(plugins=[plugin], database_url=database_url)
    ids = await seed(app.runtime, orders=orders)
    assert await sdk.enqueue(app.runtime, "recommendations.train")   # the cron job's function, in the worker
    await app.runtime.queue.drain()
    return app, ids


async def _add_to_cart(client, sku: str) -> None:
    """The product page's add-to-cart form, with the page's CSRF token."""
    page = await (await client.get("/p/alder-shirt")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    added = await client.post("/cart", form={"csrf_token": token, "sku": sku, "quantity": "1"})
    assert added.status_code in (302, 303), added.status_code


async def _json(client, path):
    response = await client.get(path)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


async def test_planted_pairs_in_top_3_and_no_model_computation_when_serving(make_app, database_url):
    app, ids = await _trained(make_app, database_url)
    client = app.test_client()
    before = models.COMPUTATIONS
    for left, right in PLANTED:
        for query, partner in ((left, right), (right, left)):
            found = await _json(client, f"/api/v1/products/{query}/recommendations")
            top = [item["slug"] for item in found["also_bought"][:3]]
            assert partner in top, (query, top)
            assert query not in top
    page = await client.get(f"/p/{PLANTED[0][0]}")
    assert page.status_code == 200
    assert models.COMPUTATIONS == before, "serving reads stored lists; it computes no model"

    item = (await _json(client, "/api/v1/products/alder-shirt/recommendations"))["also_bought"][0]
    assert set(item) == {"slug", "title", "url", "price_from", "image"}
    assert isinstance(item["price_from"]["amount"], int) and item["price_from"]["currency"] == "EUR"
    similar = [i["slug"] for i in (await _json(client, "/api/v1/products/alder-shirt/recommendations"))["similar"]]
    assert similar[0].endswith("-shirt") and all(slug.endswith("-shirt") or slug.startswith("alder-")
                                                  for slug in similar), "similar: same words (kind or name)"

    missing = await client.get("/api/v1/products/no-such-thing/recommendations")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    too_many = await client.get("/api/v1/products/alder-shirt/recommendations?cart=" + ",".join(["X"] * 101))
    assert too_many.status_code == 400


@pytest.mark.parametrize("theme", ["default", "boutique"])
async def test_hook_storefront_blocks(make_app, sqlite_url, theme):
    app, ids = await _trained(make_app, sqlite_url)
    await activate_theme(theme)
    await app.theme_state.refresh()
    client = app.test_client()
    before = models.COMPUTATIONS

    body = await (await client.get("/p/alder-shirt")).get_data(as_text=True)
    assert f'data-theme="{theme}"' in body
    also = re.search(r'data-recommendations="also-bought".*?</section>', body, re.S).group(0)
    assert "Customers also bought" in also and 'data-slug="cedar-mug"' in also
    assert 'data-recommendations="similar"' in body
    assert "/static/plugin/recommendations/" in body, "its stylesheet is in the page's head"

    await _add_to_cart(client, "ALDER-SHIRT")
    cart = await (await client.get("/cart")).get_data(as_text=True)
    shelf = re.search(r'data-recommendations="also-bought".*?</section>', cart, re.S).group(0)
    assert 'data-slug="cedar-mug"' in shelf and 'data-slug="alder-shirt"' not in shelf
    await _add_to_cart(client, "CEDAR-MUG")
    cart = await (await client.get("/cart")).get_data(as_text=True)
    assert 'data-slug="cedar-mug"' not in cart.split('class="plugin-blocks"')[1], "what is in the cart is not offered"
    product = await (await client.get("/p/alder-shirt")).get_data(as_text=True)
    assert 'data-recommendations="also-bought"' in product
    assert 'data-slug="cedar-mug"' not in product.split('class="plugin-blocks"')[1], "nor on product pages"
    assert models.COMPUTATIONS == before


async def test_never_recommends_unpublished_or_out_of_stock(make_app, sqlite_url):
    app, ids = await _trained(make_app, sqlite_url)
    client = app.test_client()
    path = "/api/v1/products/alder-shirt/recommendations"
    assert "cedar-mug" in [i["slug"] for i in (await _json(client, path))["also_bought"]]

    await sdk.set_stock(app.runtime, {"CEDAR-MUG": 0}, origin="test")
    shown = await _json(client, path)
    assert "cedar-mug" not in [i["slug"] for i in shown["also_bought"] + shown["similar"]]
    assert len(shown["also_bought"]) == 4, "the next ones move up"

    await sdk.set_stock(app.runtime, {"CEDAR-MUG": 5}, origin="test")
    report = await sdk.upsert_products(app.runtime, [{"product_slug": "cedar-mug", "sku": "CEDAR-MUG",
                                                      "title": "Cedar mug", "price_amount": 1700, "status": "draft"}])
    assert report.written, report.errors
    shown = await _json(client, path)
    assert "cedar-mug" not in [i["slug"] for i in shown["also_bought"] + shown["similar"]]
    cart = await _json(client, path + "?cart=ALDER-SHIRT,BIRCH-TROUSERS")
    assert "birch-trousers" not in [i["slug"] for i in cart["also_bought"] + cart["similar"]]


async def test_few_orders_and_new_products_fall_back_to_category_best_sellers(make_app, sqlite_url):
    app, ids = await _trained(make_app, sqlite_url, orders=8)      # below min_orders (20)
    client = app.test_client()
    shown = await _json(client, "/api/v1/products/alder-shirt/recommendations")
    assert shown["also_bought"] and all(i["slug"].endswith("-shirt") for i in shown["also_bought"]), \
        "best sellers of the product's own category first"

    report = await sdk.upsert_products(app.runtime, [{"product_slug": "new-shirt", "sku": "NEW-SHIRT",
                                                      "title": "New shirt", "price_amount": 2000,
                                                      "categories": ["shirts"]}])
    assert report.written, report.errors
    await sdk.set_stock(app.runtime, {"NEW-SHIRT": 3}, origin="test")
    fresh = await _json(client, "/api/v1/products/new-shirt/recommendations")
    assert len(fresh["also_bought"]) == 4 and "new-shirt" not in [i["slug"] for i in fresh["also_bought"]], \
        "a product trained before it existed gets the shop's best sellers"


async def test_retraining_refreshes_cached_pages(make_app, sqlite_url):
    app, ids = await _trained(make_app, sqlite_url, orders=8)       # few orders: best sellers only
    client = app.test_client()
    first = await (await client.get("/p/grove-shirt")).get_data(as_text=True)
    assert (await client.get("/p/grove-shirt")).headers.get("X-Cache") == "hit", "the page is cached"
    also = re.search(r'data-recommendations="also-bought".*?</section>', first, re.S).group(0)
    assert 'data-slug="heath-mug"' not in also

    products = {p.id: p for p in await sdk.products_by_id(app.runtime, list(ids.values()))}
    skus = {product_id: product.variants[0].sku for product_id, product in products.items()}
    await add_orders(ids, skus, [["grove-shirt", "heath-mug"]] * 30, prefix="MORE")
    assert await sdk.enqueue(app.runtime, "recommendations.train", job_id="retrain")
    await app.runtime.queue.drain()
    again = await (await client.get("/p/grove-shirt")).get_data(as_text=True)
    also = re.search(r'data-recommendations="also-bought".*?</section>', again, re.S).group(0)
    assert 'data-slug="heath-mug"' in also, "the cached page was dropped when the new lists were stored"
