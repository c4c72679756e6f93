"""Catalog test helpers: a small, known catalog built through the services."""
from __future__ import annotations

import pytest

from engine.catalog import services


async def build_small_catalog(runtime) -> None:
    """Categories clothing > shirts > (linen), clothing > trousers, home;
    attributes material (choice) and organic (boolean); eight products."""
    await services.save_category(runtime, {"slug": "clothing", "name": "Clothing"})
    await services.save_category(runtime, {"slug": "shirts", "name": "Shirts", "parent": "clothing"})
    await services.save_category(runtime, {"slug": "linen-shirts", "name": "Linen shirts", "parent": "shirts"})
    await services.save_category(runtime, {"slug": "trousers", "name": "Trousers", "parent": "clothing", "position": 1})
    await services.save_category(runtime, {"slug": "home", "name": "Home", "position": 1})
    await services.save_attribute(runtime, {"code": "material", "name": "Material", "type": "choice",
                                            "choices": ["cotton", "linen", "wool"]})
    await services.save_attribute(runtime, {"code": "organic", "name": "Organic", "type": "boolean"})
    await services.save_attribute(runtime, {"code": "thread_count", "name": "Thread count", "type": "number"})
    products = [
        ("oxford-shirt", "Oxford shirt", "A crisp cotton oxford shirt.", ["shirts"], "cotton", True, 3900, 5),
        ("linen-shirt", "Linen summer shirt", "Breathable linen for hot days.", ["linen-shirts"], "linen", True, 5900, 0),
        ("flannel-shirt", "Flannel shirt", "Warm brushed wool flannel.", ["shirts"], "wool", False, 4900, 2),
        ("chinos", "Slim chinos", "Cotton twill trousers.", ["trousers"], "cotton", False, 6900, 7),
        ("wool-trousers", "Wool trousers", "Tailored wool trousers.", ["trousers"], "wool", True, 12900, 1),
        ("tea-towel", "Linen tea towel", "A linen towel for the kitchen.", ["home"], "linen", True, 900, 40),
        ("duvet-cover", "Cotton duvet cover", "Percale cotton bedding.", ["home"], "cotton", False, 8900, 3),
    ]
    for slug, title, description, categories, material, organic, price, stock in products:
        await services.save_product(runtime, {
            "slug": slug, "title": title, "description": description, "status": "published",
            "categories": categories, "attributes": {"material": material, "organic": organic},
            "images": [{"url": f"/media/test/{slug}.svg", "alt": f"Photo of the {title.lower()}"}],
            "variants": [
                {"sku": f"{slug.upper()}-S", "options": {"size": "S", "colour": "Blue"}, "price_amount": price,
                 "weight_grams": 300, "stock": stock},
                {"sku": f"{slug.upper()}-M", "options": {"size": "M", "colour": "Red"}, "price_amount": price + 500,
                 "weight_grams": 320, "stock": 0},
            ],
        })
    await services.save_product(runtime, {
        "slug": "secret-draft", "title": "Secret draft shirt", "status": "draft", "categories": ["shirts"],
        "variants": [{"sku": "DRAFT-1", "price_amount": 100, "stock": 5}],
    })


@pytest.fixture
async def catalog_app(make_app, database_url):
    """A started app on the parametrized database with the small catalog."""
    app = await make_app(database_url=database_url)
    await build_small_catalog(app.runtime)
    return app


@pytest.fixture
def build_catalog():
    """The small-catalog builder, for tests that make their own app."""
    return build_small_catalog
