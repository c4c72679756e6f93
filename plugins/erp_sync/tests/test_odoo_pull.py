"""Pulling products, prices and stock from the stand-in Odoo server into the
catalog through the public SDK (SQLite and PostgreSQL)."""
from __future__ import annotations

from engine import sdk
from engine.testing import fetchval
from shopwright_erp_sync import plugin, store, sync
from shopwright_erp_sync.odoo import OdooConnector

NAME = "erp_sync"


async def shop(make_runtime, database_url, odoo):
    runtime = await make_runtime(plugins=[plugin], database_url=database_url, background=False)
    await runtime.host.configure(NAME, {"url": odoo.url, "db": "shop", "username": "sync@example.com",
                                        "password": "secret"})
    return runtime


async def run_pull(runtime, **kwargs):
    connector = sync.connector_for(runtime, sdk.plugin_settings(runtime, NAME))
    try:
        return await sync.pull(runtime, connector, **kwargs)
    finally:
        await connector.aclose()


async def test_full_pull_of_1000_products_with_stock(make_runtime, database_url, odoo):
    runtime = await shop(make_runtime, database_url, odoo)
    for index in range(1000):
        odoo.add_product(f"Mug {index}", f"MUG-{index:04d}", price=round(4.9 + index * 0.01, 2), on_hand=index % 7)
    summary = await run_pull(runtime)
    assert summary["products"] == 1000 and summary["variants"] == 1000 and summary["dead_lettered"] == 0
    known = await sdk.variants(runtime, ["MUG-0000", "MUG-0003", "MUG-0999"], include_unpublished=True)
    assert known["MUG-0003"].on_hand == 3 and known["MUG-0999"].on_hand == 999 % 7
    assert known["MUG-0003"].price.amount == 493          # 4.93 from the float 4.93, exactly
    assert known["MUG-0999"].price.amount == 1489         # 14.89
    assert known["MUG-0000"].product_title == "Mug 0"
    assert await fetchval("SELECT COUNT(*) FROM catalog_variants") == 1000
    assert await store.get_state("cursor:odoo") is not None


async def test_incremental_pull_takes_only_changed_records(make_runtime, database_url, odoo):
    runtime = await shop(make_runtime, database_url, odoo)
    ids = [odoo.add_product(f"Tee {index}", f"TEE-{index}", price=19.0, on_hand=5) for index in range(20)]
    assert (await run_pull(runtime))["products"] == 20
    assert (await run_pull(runtime))["products"] == 0          # nothing changed since

    template, variant = ids[3]
    odoo.touch("product.product", variant, lst_price=21.5)     # a price change
    odoo.touch("stock.quant", odoo.quant_of(ids[7][1])["id"], quantity=1.0)   # a stock change
    odoo.touch("product.template", ids[11][0], name="Tee eleven")               # a rename
    odoo.calls.clear()
    summary = await run_pull(runtime)
    assert summary["products"] == 3 and summary["stock_changed"] == 1
    known = await sdk.variants(runtime, ["TEE-3", "TEE-7", "TEE-11", "TEE-0"], include_unpublished=True)
    assert known["TEE-3"].price.amount == 2150
    assert known["TEE-7"].on_hand == 1
    assert known["TEE-11"].product_title == "Tee eleven"
    assert known["TEE-0"].price.amount == 1900 and known["TEE-0"].on_hand == 5


async def test_a_product_odoo_faults_on_is_dead_lettered_and_the_rest_import(make_runtime, database_url, odoo):
    runtime = await shop(make_runtime, database_url, odoo)
    ids = [odoo.add_product(f"Cap {index}", f"CAP-{index}", price=9.99, on_hand=2) for index in range(10)]
    odoo.faulty.add(ids[4][0])
    summary = await run_pull(runtime)
    assert summary["products"] == 9 and summary["dead_lettered"] == 1
    dead = await store.open_dead_letters()
    assert [(row["kind"], row["ref"]) for row in dead] == [("product", f"product.template:{ids[4][0]}")]
    assert "Expected singleton" in dead[0]["error"]
    known = await sdk.variants(runtime, [f"CAP-{index}" for index in range(10)], include_unpublished=True)
    assert sorted(known) == sorted(f"CAP-{index}" for index in range(10) if index != 4)

    odoo.faulty.clear()                                        # fixed in Odoo: the retry imports it
    connector = OdooConnector(odoo.url, "shop", "sync@example.com", "secret", "EUR")
    try:
        assert (await sync.pull_refs(runtime, connector, [dead[0]["ref"]]))["products"] == 1
    finally:
        await connector.aclose()
    assert await store.open_dead_letters() == []
    assert (await sdk.variant(runtime, "CAP-4", include_unpublished=True)).on_hand == 2


async def test_a_record_written_in_the_same_second_after_a_pull_is_not_missed(make_runtime, sqlite_url, odoo):
    runtime = await shop(make_runtime, sqlite_url, odoo)
    odoo.add_product("Bowl", "BOWL-1", price=7.0, on_hand=1)
    assert (await run_pull(runtime))["products"] == 1
    newest = max(row["write_date"] for model in odoo.models.values() for row in model.values())
    template, _ = odoo.add_product("Plate", "PLATE-1", price=5.0, on_hand=2)
    for model in ("product.template", "product.product", "stock.quant"):      # Odoo's whole seconds
        for row in odoo.models[model].values():
            if row.get("write_date", "") > newest:
                row["write_date"] = newest
    summary = await run_pull(runtime)
    assert summary["products"] == 1 and (await sdk.variant(runtime, "PLATE-1", include_unpublished=True)).on_hand == 2
    assert (await run_pull(runtime))["products"] == 0


async def test_variants_get_their_options_from_odoo_attribute_values(make_runtime, sqlite_url, odoo):
    runtime = await shop(make_runtime, sqlite_url, odoo)
    template, _ = odoo.add_variants("Hoodie", 49.9, "Size", {"S": "HOOD-S", "M": "HOOD-M"}, on_hand=2)
    assert (await run_pull(runtime))["variants"] == 2
    product = await sdk.product(runtime, f"odoo-{template}", include_unpublished=True)
    assert [(variant.sku, dict(variant.options), variant.price.amount, variant.on_hand)
            for variant in product.variants] == [("HOOD-S", {"size": "S"}, 4990, 2), ("HOOD-M", {"size": "M"}, 4990, 2)]


async def test_a_product_the_shop_already_had_is_adopted_by_sku(make_runtime, database_url, odoo):
    from engine.testing.checkout import add_product

    runtime = await shop(make_runtime, database_url, odoo)
    await add_product(runtime, "MUG-1", price=900, stock=1, slug="our-mug", title="Our mug")
    template, _ = odoo.add_product("Mug", "MUG-1", price=12.5, on_hand=6)
    summary = await run_pull(runtime)
    assert summary["products"] == 1 and summary["dead_lettered"] == 0
    mug = await sdk.variant(runtime, "MUG-1", include_unpublished=True)
    assert (mug.product_slug, mug.product_title, mug.price.amount, mug.on_hand) == ("our-mug", "Mug", 1250, 6)
    assert await sdk.product(runtime, f"odoo-{template}", include_unpublished=True) is None
    assert await store.links_by_erp_id("product", [f"product.template:{template}"]) == {
        f"product.template:{template}": "our-mug"}
    odoo.touch("product.template", template, name="Mug, renamed")          # later pulls follow the link
    await run_pull(runtime)
    assert (await sdk.product(runtime, "our-mug", include_unpublished=True)).title == "Mug, renamed"


async def test_a_pull_with_odoo_down_moves_nothing_and_the_next_one_catches_up(make_runtime, sqlite_url, odoo):
    import pytest

    from shopwright_erp_sync.connector import ErpUnavailable

    runtime = await shop(make_runtime, sqlite_url, odoo)
    odoo.add_product("Vase", "VASE-1", price=30.0, on_hand=1)
    await run_pull(runtime)
    cursor = await store.get_state("cursor:odoo")
    odoo.add_product("Jug", "JUG-1", price=20.0, on_hand=2)
    odoo.down = 1000
    with pytest.raises(ErpUnavailable):
        await run_pull(runtime)
    assert await store.get_state("cursor:odoo") == cursor and await sdk.variant(runtime, "JUG-1") is None
    odoo.down = 0
    assert (await run_pull(runtime))["products"] == 1
    assert (await sdk.variant(runtime, "JUG-1", include_unpublished=True)).on_hand == 2


async def test_only_the_fields_the_erp_owns_are_overwritten(make_runtime, database_url, odoo):
    runtime = await shop(make_runtime, database_url, odoo)
    await runtime.host.configure(NAME, {"owned_fields": "price"})
    template, variant = odoo.add_product("Lamp", "LAMP-1", price=30.0, on_hand=4)
    assert (await run_pull(runtime))["products"] == 1
    lamp = await sdk.variant(runtime, "LAMP-1", include_unpublished=True)
    assert (lamp.product_title, lamp.price.amount, lamp.on_hand) == ("Lamp", 3000, 4)   # new: everything

    report = await sdk.upsert_products(runtime, [{"product_slug": lamp.product_slug, "sku": "LAMP-1",
                                                  "price_amount": 3000, "title": "Desk lamp (our words)"}])
    assert not report.errors
    await sdk.set_stock(runtime, {"LAMP-1": 9}, origin="admin")      # counted in the shop
    odoo.touch("product.template", template, name="LAMP BASIC", description_sale="odoo text")
    odoo.touch("product.product", variant, lst_price=32.5)
    odoo.touch("stock.quant", odoo.quant_of(variant)["id"], quantity=1.0)
    odoo.add_product("Shade", "SHADE-1", price=12.0, on_hand=2)
    summary = await run_pull(runtime)
    assert summary["products"] == 2 and summary["stock_changed"] == 1          # the new shade's stock only
    lamp = await sdk.variant(runtime, "LAMP-1", include_unpublished=True)
    assert (lamp.product_title, lamp.price.amount, lamp.on_hand) == ("Desk lamp (our words)", 3250, 9)
    product = await sdk.product(runtime, lamp.product_slug, include_unpublished=True)
    assert product.description == "Lamp, from Odoo"
    shade = await sdk.variant(runtime, "SHADE-1", include_unpublished=True)
    assert (shade.product_title, shade.price.amount, shade.on_hand) == ("Shade", 1200, 2)


async def test_a_product_archived_in_odoo_goes_off_sale_and_comes_back(make_runtime, database_url, odoo):
    runtime = await shop(make_runtime, database_url, odoo)
    (kept, _), (gone, gone_variant) = odoo.add_product("Pen", "PEN-1", 2.0, 5), odoo.add_product("Ink", "INK-1", 3.0, 5)
    never, _ = odoo.add_product("Quill", "QUILL-1", 9.0, 1)
    odoo.touch("product.template", never, active=False)                 # archived before the first pull
    assert (await run_pull(runtime))["products"] == 2
    assert await sdk.variant(runtime, "QUILL-1", include_unpublished=True) is None
    assert (await sdk.variant(runtime, "INK-1")).product_status == "published"

    odoo.touch("product.template", gone, active=False)                  # Odoo archives template and variants
    odoo.touch("product.product", gone_variant, active=False)
    summary = await run_pull(runtime)
    assert (summary["products"], summary["archived"], summary["dead_lettered"]) == (1, 1, 0)
    assert await sdk.variant(runtime, "INK-1") is None                  # not sold any more
    assert (await sdk.variant(runtime, "INK-1", include_unpublished=True)).product_status == "draft"
    assert (await sdk.variant(runtime, "PEN-1")).product_status == "published"

    odoo.touch("product.template", gone, active=True)
    odoo.touch("product.product", gone_variant, active=True)
    assert (await run_pull(runtime))["archived"] == 0
    assert (await sdk.variant(runtime, "INK-1")).product_status == "published"

    await runtime.host.configure(NAME, {"owned_fields": "title, description, price, stock"})
    odoo.touch("product.template", gone, active=False)                  # the shop decides what is on sale
    odoo.touch("product.product", gone_variant, active=False)
    await run_pull(runtime)
    assert (await sdk.variant(runtime, "INK-1")).product_status == "published"


def test_owned_fields_are_checked_and_normalised():
    import pytest
    from pydantic import ValidationError

    from shopwright_erp_sync.settings import ErpSyncSettings

    assert ErpSyncSettings(owned_fields="Stock price").owned_fields == "price, stock"
    assert ErpSyncSettings(owned_fields="").owned_fields == ""
    assert ErpSyncSettings().owns("status") and not ErpSyncSettings(owned_fields="price").owns("title")
    with pytest.raises(ValidationError, match="colour"):
        ErpSyncSettings(owned_fields="price, colour")
