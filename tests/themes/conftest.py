"""Fixtures for theme tests: an app with the installed themes and a staff token."""
from __future__ import annotations

import pytest

from engine.testing.themes import seed_sample_catalog


@pytest.fixture
async def theme_app(make_app, tmp_path):
    """A started app on SQLite with the sample catalog; overrides under tmp_path."""
    app = await make_app()
    app.theme_state.overrides_dir = tmp_path / "overrides"
    await seed_sample_catalog(app.runtime)
    return app


@pytest.fixture
async def staff_token(theme_app):
    """``await staff_token("plugins:write")``: a new admin API token."""
    from engine.accounts.staff import create_token

    async def make(scopes: str = "plugins:write") -> str:
        token, _ = await create_token("theme tests", scopes.split(","))
        return token

    return make
