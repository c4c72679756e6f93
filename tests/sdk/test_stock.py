"""Setting stock for many SKUs at once with an origin: one transaction, the
catalog's own write path, ``stock_changed`` events carrying the origin, and a
plugin that skips the events it caused."""
from __future__ import annotations

import pytest
import sdk_fixture.plugin as fixture

from engine import sdk
from engine.catalog import services as catalog
from engine.testing import fetch
from engine.testing.checkout import add_product, cart_with, checkout


async def _events() -> list[dict]:
    import json

    rows = await fetch("SELECT payload FROM outbox_events WHERE name = 'stock_changed' ORDER BY id")
    return [json.loads(row["payload"]) for row in rows]


async def _on_hand() -> dict[str, int]:
    rows = await fetch("SELECT v.sku, SUM(s.on_hand) AS n FROM catalog_stock s JOIN catalog_variants v "
                       "ON v.id = s.variant GROUP BY v.sku")
    return {row["sku"]: int(row["n"]) for row in rows}


async def test_set_stock_for_many_skus_with_an_origin(make_runtime, database_url):
    runtime = await make_runtime(database_url=database_url)
    for sku in ("A-1", "A-2", "A-3"):
        await add_product(runtime, sku, stock=5)
    await catalog.save_warehouse(runtime, "north", "North")
    before = len(await _events())

    changes = await sdk.set_stock(runtime, {"A-1": 8, "A-2": 5, "A-3": 0}, origin="erp_sync")
    assert changes == sdk.StockChanges("default", ("A-1", "A-3"), ("A-2",))
    assert await _on_hand() == {"A-1": 8, "A-2": 5, "A-3": 0}
    events = (await _events())[before:]
    assert [(e["sku"], e["on_hand"], e["available"], e["warehouse"], e["origin"]) for e in events] == [
        ("A-1", 8, 8, "default", "erp_sync"), ("A-3", 0, 0, "default", "erp_sync")], "changed SKUs only"

    north = await sdk.set_stock(runtime, {"A-1": 2}, origin="erp_sync", warehouse="north")
    assert north.changed == ("A-1",) and (await _on_hand())["A-1"] == 10

    # one unknown SKU (or bad value): refused, naming it, and nothing written
    count = len(await _events())
    with pytest.raises(sdk.NotFound, match="'NOPE'"):
        await sdk.set_stock(runtime, {"A-1": 1, "NOPE": 3, "A-2": 1}, origin="erp_sync")
    for bad in ({"A-1": -1}, {"A-1": "x"}, {"A-1": True}, {"bad sku": 1}):
        with pytest.raises(sdk.InvalidInput):
            await sdk.set_stock(runtime, bad, origin="erp_sync")
    with pytest.raises(sdk.InvalidInput):
        await sdk.set_stock(runtime, {"A-1": 1}, origin="Not An Origin")
    with pytest.raises(sdk.NotFound):
        await sdk.set_stock(runtime, {"A-1": 1}, origin="erp_sync", warehouse="mars")
    assert await _on_hand() == {"A-1": 10, "A-2": 5, "A-3": 0} and len(await _events()) == count

    assert await sdk.set_stock(runtime, {}, origin="erp_sync") == sdk.StockChanges("default", (), ())


async def test_many_skus_in_one_call(make_runtime, database_url):
    runtime = await make_runtime(database_url=database_url)
    await catalog.save_product(runtime, {"slug": "bulk", "title": "Bulk", "status": "published",
                                         "variants": [{"sku": f"B-{n}", "price_amount": 100} for n in range(1200)]})
    changes = await sdk.set_stock(runtime, {f"B-{n}": n for n in range(1200)}, origin="erp_sync")
    assert len(changes.changed) == 1200
    found = await sdk.variants(runtime, [f"B-{n}" for n in range(1000)])
    assert found["B-999"].on_hand == 999
    assert len([e for e in await _events() if e["origin"] == "erp_sync"]) == 1200
    with pytest.raises(sdk.InvalidInput):
        await sdk.set_stock(runtime, {f"X-{n}": 1 for n in range(10_001)}, origin="erp_sync")


async def test_every_stock_event_names_its_origin(make_app, database_url):
    app = await make_app(plugins=[fixture], database_url=database_url)
    await add_product(app.runtime, "O-1", stock=5)
    await catalog.set_stock(app.runtime, "O-1", None, 6)
    client = app.test_client()
    assert (await checkout(client, await cart_with(client, "O-1", 2))).status_code == 201
    origins = [e["origin"] for e in await _events()]
    assert origins == ["catalog", "catalog", "orders"], "saved with the product, set, reserved by an order"


async def test_a_plugin_skips_the_stock_events_it_caused(make_runtime, database_url):
    runtime = await make_runtime(plugins=[fixture], database_url=database_url)
    await add_product(runtime, "S-1", stock=5)
    await add_product(runtime, "S-2", stock=5)
    await sdk.set_stock(runtime, {"S-1": 1, "S-2": 2}, origin="sdk_fixture")
    await catalog.set_stock(runtime, "S-2", None, 9)
    for _ in range(3):  # relay the outbox and run the event jobs
        await runtime.relay_now()
        await runtime.queue.drain()
    seen = await fetch("SELECT sku, origin FROM sdk_fixture_seen ORDER BY event_id")
    assert seen == [{"sku": "S-1", "origin": "catalog"}, {"sku": "S-2", "origin": "catalog"},
                    {"sku": "S-2", "origin": "catalog"}], "the product saves and the admin's change, not its own"
