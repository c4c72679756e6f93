"""Checkout test fixtures: a shop with one product, and a served shop."""
from __future__ import annotations

import pytest

from engine.testing.checkout import add_product, migrate, served


@pytest.fixture
async def shop(database_url, make_app):
    """A started app on the parametrized database selling TEE-1 (25.00 EUR, 5 in stock)."""
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    return app


@pytest.fixture
def serve_shop(shopwright_settings):
    """``async with serve_shop(database_url=...) as (app, base_url)``: a real
    Hypercorn server on 127.0.0.1 in this event loop."""
    import contextlib

    from engine.app import create_app

    @contextlib.asynccontextmanager
    async def start(plugins=(), **overrides):
        settings = shopwright_settings(**overrides)
        await migrate(settings, plugins)
        app = create_app(settings, plugins=list(plugins))
        async with served(app) as base_url:
            yield app, base_url

    return start
