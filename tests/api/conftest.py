"""API test fixtures: an app with a small catalog and admin API tokens."""
from __future__ import annotations

import pytest

from engine.accounts.staff import create_token
from engine.catalog import services


async def build_catalog(runtime) -> None:
    """Categories apparel > shirts; two published products and a draft."""
    await services.save_category(runtime, {"slug": "apparel", "name": "Apparel"})
    await services.save_category(runtime, {"slug": "shirts", "name": "Shirts", "parent": "apparel"})
    await services.save_product(runtime, {
        "slug": "oxford-shirt", "title": "Oxford shirt", "status": "published", "categories": ["shirts"],
        "variants": [{"sku": "OX-S", "options": {"size": "S"}, "price_amount": 3900, "stock": 5},
                     {"sku": "OX-M", "options": {"size": "M"}, "price_amount": 3900, "stock": 2}],
    })
    await services.save_product(runtime, {
        "slug": "tea-towel", "title": "Tea towel", "status": "published", "categories": ["apparel"],
        "variants": [{"sku": "TOWEL", "price_amount": 900, "stock": 40}],
    })
    await services.save_product(runtime, {
        "slug": "draft-hat", "title": "Draft hat", "status": "draft",
        "variants": [{"sku": "HAT-1", "price_amount": 1500, "stock": 1}],
    })


@pytest.fixture
def token():
    """``await token("catalog:read")`` → ``{"Authorization": "Bearer ..."}``."""

    async def make(scopes: str = "all") -> dict[str, str]:
        value, _ = await create_token(f"api tests {scopes}", scopes.split(","))
        return {"Authorization": f"Bearer {value}"}

    return make


@pytest.fixture
async def shop(database_url, make_app):
    """A started app on the parametrized database with the small catalog."""
    app = await make_app(database_url=database_url)
    await build_catalog(app.runtime)
    return app


@pytest.fixture
def catalog_builder():
    """The small-catalog builder, for tests that make their own app."""
    return build_catalog
