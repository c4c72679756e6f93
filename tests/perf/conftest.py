"""Fixtures for the performance tests: an app with the sample catalog."""
from __future__ import annotations

import pytest

from engine.testing.themes import seed_sample_catalog


@pytest.fixture
async def shop(make_app, database_url, tmp_path):
    """A started app (default theme active) with the sample catalog, on SQLite and PostgreSQL."""
    app = await make_app(database_url=database_url, store={"currency": "EUR", "locale": "en"})
    app.theme_state.overrides_dir = tmp_path / "overrides"
    await seed_sample_catalog(app.runtime)
    return app
