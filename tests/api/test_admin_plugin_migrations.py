"""Every surface that enables a plugin applies its migrations first: a plugin
enabled through the admin JSON API or the admin page never runs without its tables."""
from __future__ import annotations

import pytest
import sample_plugin.plugin as sample_plugin

from engine.app import create_app
from engine.runtime import Runtime
from engine.testing import api_token, fetch
from engine.testing.admin import form_token, staff_client


async def _tables_exist() -> bool:
    try:
        await fetch("SELECT COUNT(*) AS n FROM sample_notes")
    except Exception:  # noqa: BLE001 - each driver names a missing table differently
        return False
    return True


@pytest.fixture
async def fresh_shop(shopwright_settings, database_url):
    """A started app with the sample plugin installed, whose tables were never made."""
    settings = shopwright_settings(database_url=database_url)
    migrator = Runtime(settings, plugins=[sample_plugin])
    await migrator.connect()
    await migrator.migrate(echo=lambda *_: None, only_enabled=True)
    await migrator.database.close()
    app = create_app(settings, plugins=[sample_plugin])
    async with app.test_app() as running:
        yield running.app


async def test_enabling_through_the_admin_api_creates_the_plugins_tables(fresh_shop):
    assert not await _tables_exist()
    token = await api_token("plugins", ["plugins:write"])
    response = await fresh_shop.test_client().post("/api/v1/admin/plugins/sample_plugin/enable",
                                                   headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, await response.get_data(as_text=True)
    assert (await response.get_json())["enabled"] is True
    assert await _tables_exist()


async def test_enabling_from_the_admin_page_creates_the_plugins_tables(fresh_shop):
    assert not await _tables_exist()
    owner = await staff_client(fresh_shop)
    page = "/admin/plugins/sample_plugin"
    response = await owner.post(page, form={"csrf_token": await form_token(owner, page), "action": "enable"})
    assert response.status_code == 303
    assert await _tables_exist()
