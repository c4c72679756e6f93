"""Reading the catalog through the SDK: products, variants and attributes,
published or not as the caller asks, in bounded pages."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from engine import sdk
from engine.catalog import services as catalog
from engine.money import Money


async def _seed(runtime) -> None:
    await catalog.save_attribute(runtime, {"code": "material", "name": "Material", "type": "choice",
                                           "choices": ["linen", "cotton"]})
    await catalog.save_attribute(runtime, {"code": "weight", "name": "Weight", "type": "number"})
    await catalog.save_attribute(runtime, {"code": "organic", "name": "Organic", "type": "boolean", "position": 5})
    await catalog.save_category(runtime, {"slug": "clothing", "name": "Clothing"})
    await catalog.save_category(runtime, {"slug": "shirts", "name": "Shirts", "parent": "clothing"})
    await catalog.save_product(runtime, {
        "slug": "linen-shirt", "title": "Linen shirt", "status": "published", "categories": ["shirts"],
        "attributes": {"material": "linen", "weight": "180.5", "organic": True},
        "images": [{"url": "/media/linen.jpg", "alt": "A linen shirt"}],
        "variants": [{"sku": "LIN-S", "price_amount": 4900, "options": {"size": "S"}, "stock": 4, "weight_grams": 200},
                     {"sku": "LIN-M", "price_amount": 5100, "options": {"size": "M"}, "stock": 0}]})
    await catalog.save_product(runtime, {
        "slug": "cotton-shirt", "title": "Cotton shirt", "status": "published", "categories": ["shirts"],
        "attributes": {"material": "cotton", "weight": 150},
        "variants": [{"sku": "COT-S", "price_amount": 2900, "stock": 7}]})
    await catalog.save_product(runtime, {
        "slug": "secret-shirt", "title": "Secret shirt", "status": "draft",
        "variants": [{"sku": "SEC-1", "price_amount": 9900, "stock": 1}]})


async def test_products_variants_and_attributes(make_runtime, database_url):
    runtime = await make_runtime(database_url=database_url)
    await _seed(runtime)

    shirt = await sdk.product(runtime, "linen-shirt")
    assert isinstance(shirt, sdk.Product) and shirt.published and shirt.categories == ("shirts",)
    assert shirt.attributes == {"material": "linen", "weight": Decimal("180.5"), "organic": True}
    assert shirt.images == ({"url": "/media/linen.jpg", "alt": "A linen shirt"},)
    assert [(v.sku, v.price, v.options, v.on_hand, v.available) for v in shirt.variants] == [
        ("LIN-S", Money(4900, "EUR"), {"size": "S"}, 4, 4), ("LIN-M", Money(5100, "EUR"), {"size": "M"}, 0, 0)]
    assert shirt.updated_at.tzinfo is not None
    assert (await sdk.product(runtime, id=shirt.id)) == shirt
    assert (await sdk.product(runtime, "cotton-shirt")).attributes["weight"] == 150

    # drafts: only when asked
    assert await sdk.product(runtime, "secret-shirt") is None
    draft = await sdk.product(runtime, "secret-shirt", include_unpublished=True)
    assert draft.status == "draft" and not draft.published
    assert await sdk.product(runtime, "no-such-thing") is None
    assert await sdk.variant(runtime, "SEC-1") is None
    assert (await sdk.variant(runtime, "SEC-1", include_unpublished=True)).product_status == "draft"

    found = await sdk.variants(runtime, ["LIN-S", "COT-S", "SEC-1", "NOPE"])
    assert sorted(found) == ["COT-S", "LIN-S"]
    assert found["LIN-S"].product_slug == "linen-shirt" and found["LIN-S"].weight_grams == 200
    assert sorted(await sdk.variants(runtime, ["LIN-S", "SEC-1"], include_unpublished=True)) == ["LIN-S", "SEC-1"]

    attributes = await sdk.attributes(runtime)
    assert [(a.code, a.type) for a in attributes] == [("material", "choice"), ("weight", "number"),
                                                      ("organic", "boolean")]
    assert attributes[0].choices == ("linen", "cotton")

    with pytest.raises(ValueError):
        await sdk.product(runtime, "linen-shirt", id=1)
    with pytest.raises(sdk.InvalidInput):
        await sdk.product(runtime, "Not A Slug")
    with pytest.raises(sdk.InvalidInput):
        await sdk.product(runtime, id=-3)
    with pytest.raises(ValueError):
        await sdk.variants(runtime, "LIN-S")
    with pytest.raises(sdk.InvalidInput):
        await sdk.variants(runtime, [f"SKU-{n}" for n in range(1001)])


async def test_pages_of_products_with_filters(make_runtime, database_url):
    runtime = await make_runtime(database_url=database_url)
    await _seed(runtime)

    async def slugs(**filters) -> list[str]:
        found, cursor = [], None
        while True:
            page = await sdk.products(runtime, cursor=cursor, **filters)
            found += [item.slug for item in page.items]
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    assert await slugs() == ["linen-shirt", "cotton-shirt"]
    assert await slugs(limit=1) == ["linen-shirt", "cotton-shirt"], "pages of one, through the cursor"
    assert await slugs(status="any", limit=2) == ["linen-shirt", "cotton-shirt", "secret-shirt"]
    assert await slugs(status="draft") == ["secret-shirt"]
    assert await slugs(category="clothing") == ["linen-shirt", "cotton-shirt"], "sub-categories count"
    assert await slugs(attributes={"material": "cotton"}) == ["cotton-shirt"]
    assert await slugs(attributes={"organic": "yes", "weight": "180.50"}) == ["linen-shirt"]
    assert await slugs(updated_since=datetime.now(timezone.utc) + timedelta(minutes=5)) == []
    assert await slugs(updated_since=datetime.now(timezone.utc) - timedelta(minutes=5)) == [
        "linen-shirt", "cotton-shirt"]
    east = timezone(timedelta(hours=5))
    assert await slugs(updated_since=datetime.now(east) + timedelta(minutes=5)) == [], "any time zone"
    assert len(await slugs(updated_since=datetime.now(east) - timedelta(minutes=5))) == 2

    for bad in ({"status": "gone"}, {"limit": 0}, {"limit": 201}, {"category": "nowhere"},
                {"attributes": {"colour": "red"}}, {"updated_since": datetime.now()}, {"cursor": "not-a-cursor"}):
        with pytest.raises(sdk.InvalidInput):
            await sdk.products(runtime, **bad)
