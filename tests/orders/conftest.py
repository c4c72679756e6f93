"""Order test fixtures: a shop, staff tokens and a placed order."""
from __future__ import annotations

import pytest

from engine.accounts.staff import create_token
from engine.testing.checkout import add_product, cart_with, checkout


@pytest.fixture
async def shop(database_url, make_app):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    await add_product(app.runtime, "CAP-1", price=1000, stock=5)
    return app


@pytest.fixture
async def staff(shop):
    """Authorization headers: ``staff["write"]`` (orders:write + orders:read),
    ``staff["read"]`` (orders:read), ``staff["write_only"]`` (orders:write),
    ``staff["catalog"]`` (catalog:read)."""
    write, _ = await create_token("fulfilment", ["orders:read", "orders:write"])
    read, _ = await create_token("support", ["orders:read"])
    other, _ = await create_token("catalog", ["catalog:read"])
    write_only, _ = await create_token("cashier", ["orders:write"])
    return {name: {"Authorization": f"Bearer {token}"} for name, token in
            (("write", write), ("read", read), ("catalog", other), ("write_only", write_only))}


@pytest.fixture
def place(shop):
    """``await place(("TEE-1", 2), ("CAP-1", 1))``: a placed order's JSON."""

    async def run(*items, **overrides):
        client = shop.test_client()
        cart = await cart_with(client)
        for sku, quantity in items or (("TEE-1", 2),):
            response = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "quantity": quantity})
            assert response.status_code == 201
        response = await checkout(client, cart, **overrides)
        assert response.status_code == 201, await response.get_json()
        return await response.get_json()

    return run
