"""A plugin's write transaction on its own tables, and the store's currency,
through the SDK (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
import sdk_fixture.plugin as fixture
from sdk_fixture.tables import FixturePoints

from engine import sdk
from engine.testing import fetch


async def test_transaction_commits_together_and_rolls_back_together(make_runtime, database_url):
    runtime = await make_runtime(plugins=[fixture], database_url=database_url)
    async with sdk.transaction(runtime):
        await FixturePoints.insert(FixturePoints(order_number="1001", points=1)).run()
        await FixturePoints.insert(FixturePoints(order_number="1002", points=2)).run()
    assert len(await fetch("SELECT * FROM sdk_fixture_points")) == 2

    with pytest.raises(RuntimeError, match="changed my mind"):
        async with sdk.transaction(runtime):
            await FixturePoints.delete(force=True).run()
            await FixturePoints.insert(FixturePoints(order_number="1003", points=3)).run()
            raise RuntimeError("changed my mind")
    assert sorted(r["order_number"] for r in await fetch("SELECT order_number FROM sdk_fixture_points")) == [
        "1001", "1002"]


async def test_store_currency(make_runtime):
    assert sdk.store_currency(await make_runtime()) == "EUR"
    assert sdk.store_currency(await make_runtime(store={"currency": "jpy"})) == "JPY"
