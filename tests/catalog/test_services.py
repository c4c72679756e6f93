from __future__ import annotations

import json

import pytest

from engine.catalog import services
from engine.errors import ShopError, NotFound
from engine.system.tables import OutboxEvent


async def test_category_tree_and_breadcrumb(catalog_app):
    tree = await services.category_tree()
    assert [node["slug"] for node in tree] == ["clothing", "home"]
    clothing = tree[0]
    assert [c["slug"] for c in clothing["children"]] == ["shirts", "trousers"]
    assert [c["slug"] for c in clothing["children"][0]["children"]] == ["linen-shirts"]
    category = await services.get_category("linen-shirts")
    assert [b["slug"] for b in category["breadcrumb"]] == ["clothing", "shirts", "linen-shirts"]
    assert category["parent"] == "shirts"
    assert await services.get_category("nope") is None


async def test_category_cycle_refused(catalog_app):
    with pytest.raises(ShopError, match="ancestor"):
        await services.save_category(catalog_app.runtime, {"slug": "clothing", "name": "Clothing",
                                                           "parent": "linen-shirts"})


async def test_get_product_shape(catalog_app):
    product = await services.get_product("oxford-shirt")
    assert product["title"] == "Oxford shirt"
    assert product["status"] == "published"
    assert product["images"] == [{"url": "/media/test/oxford-shirt.svg", "alt": "Photo of the oxford shirt"}]
    assert product["categories"] == [{"slug": "shirts", "name": "Shirts"}]
    assert product["attributes"] == {"material": "cotton", "organic": True}
    assert product["options"] == {"colour": ["Blue", "Red"], "size": ["S", "M"]}
    assert product["price_from"] == {"amount": 3900, "currency": "EUR"}
    small, medium = product["variants"]
    assert small == {"id": small["id"], "sku": "OXFORD-SHIRT-S", "options": {"colour": "Blue", "size": "S"},
                     "price": {"amount": 3900, "currency": "EUR"}, "quantity_available": 5, "in_stock": True,
                     "weight_grams": 300, "position": 0}
    assert medium["quantity_available"] == 0 and medium["in_stock"] is False
    assert product["in_stock"] is True


async def test_drafts_hidden_unless_asked(catalog_app):
    assert await services.get_product("secret-draft") is None
    draft = await services.get_product("secret-draft", include_drafts=True)
    assert draft["status"] == "draft"
    assert await services.get_product("missing") is None


async def test_save_product_replaces_and_emits_event(catalog_app):
    runtime = catalog_app.runtime
    before = await OutboxEvent.count().where(OutboxEvent.name == "product_saved").run()
    saved = await services.save_product(runtime, {
        "slug": "chinos", "title": "Slim chinos v2", "status": "published", "categories": ["trousers", "clothing"],
        "variants": [{"sku": "CHINOS-M", "options": {"size": "M"}, "price": "75.50"},
                     {"sku": "CHINOS-L", "options": {"size": "L"}, "price": {"amount": 7700, "currency": "EUR"}}],
        "images": [{"url": "https://img.example/c.jpg", "alt": "Chinos on a chair"}],
    })
    assert saved["title"] == "Slim chinos v2"
    assert [v["sku"] for v in saved["variants"]] == ["CHINOS-M", "CHINOS-L"]  # CHINOS-S deleted
    assert saved["variants"][0]["price"] == {"amount": 7550, "currency": "EUR"}
    assert saved["price_from"]["amount"] == 7550
    assert saved["attributes"] == {}
    assert [c["slug"] for c in saved["categories"]] == ["trousers", "clothing"]
    events = await OutboxEvent.select().where(OutboxEvent.name == "product_saved").order_by(OutboxEvent.id).run()
    assert len(events) == before + 1
    assert json.loads(events[-1]["payload"]) == {"product_id": saved["id"], "slug": "chinos",
                                                 "status": "published", "created": False}


async def test_save_product_rejects_bad_input_and_writes_nothing(catalog_app):
    runtime = catalog_app.runtime
    with pytest.raises(ShopError) as info:
        await services.save_product(runtime, {"slug": "Bad Slug", "title": "x"})
    assert "slug" in info.value.errors
    with pytest.raises(ShopError, match="another product"):
        await services.save_product(runtime, {"slug": "new-one", "title": "New", "variants": [
            {"sku": "NEW-1", "price_amount": 100}, {"sku": "CHINOS-S", "price_amount": 100}]})
    assert await services.get_product("new-one", include_drafts=True) is None
    with pytest.raises(ShopError, match="material"):
        await services.save_product(runtime, {"slug": "new-two", "title": "New", "attributes": {"material": "silk"}})
    with pytest.raises(ShopError, match="alt"):
        await services.save_product(runtime, {"slug": "new-three", "title": "New",
                                              "images": [{"url": "/x.png", "alt": " "}]})
    with pytest.raises(ShopError, match="decimal"):
        await services.save_product(runtime, {"slug": "new-four", "title": "New",
                                              "variants": [{"sku": "N4", "price": "1.999"}]})
    assert await services.get_product("new-two", include_drafts=True) is None


async def test_set_stock_emits_stock_changed(catalog_app):
    runtime = catalog_app.runtime
    result = await services.set_stock(runtime, "CHINOS-M", "default", 12)
    assert result["on_hand"] == 12 and result["available"] == 12 and result["warehouse"] == "default"
    await services.save_warehouse(runtime, "north", "North depot")
    await services.set_stock(runtime, "CHINOS-M", "north", 3)
    product = await services.get_product("chinos")
    assert product["variants"][1]["quantity_available"] == 15
    events = await OutboxEvent.select().where(OutboxEvent.name == "stock_changed").order_by(OutboxEvent.id).run()
    assert json.loads(events[-1]["payload"])["warehouse"] == "north"
    with pytest.raises(NotFound):
        await services.set_stock(runtime, "NO-SUCH-SKU", None, 1)
    with pytest.raises(NotFound):
        await services.set_stock(runtime, "CHINOS-M", "mars", 1)


async def test_reserved_stock_reduces_available(catalog_app):
    from engine.catalog.tables import Stock, Variant

    variant = await Variant.select(Variant.id).where(Variant.sku == "CHINOS-S").first().run()
    await Stock.update({Stock.reserved: 5}).where(Stock.variant == variant["id"]).run()
    product = await services.get_product("chinos")
    assert product["variants"][0]["quantity_available"] == 2
    await Stock.update({Stock.reserved: 9}).where(Stock.variant == variant["id"]).run()
    product = await services.get_product("chinos")
    assert product["variants"][0]["quantity_available"] == 0 and not product["variants"][0]["in_stock"]


async def test_facets(catalog_app):
    data = await services.facets("clothing")
    assert data["price"] == {"min": {"amount": 3900, "currency": "EUR"}, "max": {"amount": 12900, "currency": "EUR"}}
    material = next(a for a in data["attributes"] if a["code"] == "material")
    assert material["values"] == [{"value": "cotton", "count": 2}, {"value": "linen", "count": 1},
                                  {"value": "wool", "count": 2}]
    size = next(o for o in data["options"] if o["name"] == "size")
    assert size["values"] == [{"value": "M", "count": 5}, {"value": "S", "count": 5}]
    assert await services.facets("nope") is None
    everything = await services.facets()
    assert everything["price"]["min"]["amount"] == 900


async def test_featured_and_collections(catalog_app):
    runtime = catalog_app.runtime
    newest = await services.featured_products(3)
    assert [p["slug"] for p in newest] == ["duvet-cover", "tea-towel", "wool-trousers"]
    await services.save_collection(runtime, {"slug": "featured", "title": "Featured",
                                             "products": ["chinos", "secret-draft", "oxford-shirt"]})
    featured = await services.featured_products(8)
    assert [p["slug"] for p in featured] == ["chinos", "oxford-shirt"]
    assert featured[0]["image"] == {"url": "/media/test/chinos.svg", "alt": "Photo of the slim chinos"}
    collections = await services.list_collections()
    assert collections == [{"id": collections[0]["id"], "slug": "featured", "title": "Featured", "description": "",
                            "product_count": 2}]
    collection = await services.get_collection("featured")
    assert [p["slug"] for p in collection["products"]] == ["chinos", "oxford-shirt"]
    with pytest.raises(ShopError):
        await services.save_collection(runtime, {"slug": "x", "title": "X", "products": ["ghost"]})


async def test_get_variants_by_sku(catalog_app):
    variants = await services.get_variants(["CHINOS-S", "NOPE", "DRAFT-1"])
    assert set(variants) == {"CHINOS-S", "DRAFT-1"}
    assert variants["CHINOS-S"]["product_slug"] == "chinos"
    assert variants["DRAFT-1"]["product_status"] == "draft"
