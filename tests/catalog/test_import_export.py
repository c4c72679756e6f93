from __future__ import annotations

import json

from engine.catalog import services
from engine.catalog.exporter import export_products
from engine.catalog.importer import import_products
from engine.catalog.tables import Product, Stock, Variant
from engine.protocols import SearchQuery
from engine.system.tables import OutboxEvent

HEADER = ("product_slug,title,description,status,categories,attribute:material,attribute:organic,"
          "image_urls,image_alts,sku,option:size,option:colour,price,currency,weight_grams,stock\n")
GOOD_CSV = HEADER + (
    "field-shirt,Field shirt,A shirt for the field.,published,shirts,cotton,true,/img/a.png|/img/b.png,"
    "Front|Back,FS-S,S,Green,29.90,EUR,250,4\n"
    "field-shirt,,,,,,,,,FS-M,M,Green,31.90,EUR,260,0\n"
    "field-shirt,Field shirt,A shirt for the field.,published,shirts,cotton,true,/img/a.png|/img/b.png,"
    "Front|Back,FS-L,L,Green,31.90,EUR,270,2\n"
    "\"mug\",\"Mug, large\",\"Holds\n a lot\",draft,home,,,/img/m.png,A white mug,MUG-1,,,8,EUR,400,10\n"
)


async def test_import_csv_creates_products(catalog_app, tmp_path):
    path = tmp_path / "products.csv"
    path.write_text(GOOD_CSV)
    report = await import_products(catalog_app.runtime, path)
    assert report.ok and report.written, report.errors
    assert (report.rows, report.products, report.variants) == (4, 2, 4)
    product = await services.get_product("field-shirt")
    assert [v["sku"] for v in product["variants"]] == ["FS-S", "FS-M", "FS-L"]
    assert [v["price"]["amount"] for v in product["variants"]] == [2990, 3190, 3190]
    assert [v["quantity_available"] for v in product["variants"]] == [4, 0, 2]
    assert product["images"] == [{"url": "/img/a.png", "alt": "Front"}, {"url": "/img/b.png", "alt": "Back"}]
    assert product["attributes"] == {"material": "cotton", "organic": True}
    assert product["options"] == {"size": ["S", "M", "L"], "colour": ["Green"]}
    assert product["price_from"] == {"amount": 2990, "currency": "EUR"}
    mug = await services.get_product("mug", include_drafts=True)
    assert mug["title"] == "Mug, large" and mug["description"] == "Holds\n a lot" and mug["status"] == "draft"
    found, _ = await services.search_products(catalog_app.runtime, SearchQuery(text="field", filters={"size": "M"}))
    assert [item["slug"] for item in found] == ["field-shirt"]
    events = await OutboxEvent.select().where(OutboxEvent.name == "catalog_imported").run()
    assert len(events) == 1 and len(json.loads(events[0]["payload"])["product_ids"]) == 2


async def test_reimport_is_idempotent_and_updates(catalog_app, tmp_path):
    path = tmp_path / "products.csv"
    path.write_text(GOOD_CSV)
    await import_products(catalog_app.runtime, path)
    counts = (await Product.count().run(), await Variant.count().run(), await Stock.count().run())
    report = await import_products(catalog_app.runtime, path)
    assert report.ok
    assert (await Product.count().run(), await Variant.count().run(), await Stock.count().run()) == counts
    path.write_text(GOOD_CSV.replace("29.90", "24.50").replace("Front|Back", "Front view|Back view"))
    assert (await import_products(catalog_app.runtime, path)).ok
    product = await services.get_product("field-shirt")
    assert product["price_from"]["amount"] == 2450
    assert [i["alt"] for i in product["images"]] == ["Front view", "Back view"]


async def test_bad_rows_reported_with_line_numbers_and_nothing_written(catalog_app, tmp_path):
    bad = HEADER + (
        "ok-product,Ok,,published,shirts,cotton,true,/i.png,Alt,OK-1,S,Red,10.00,EUR,1,1\n"      # line 2: fine
        "Bad Slug,Bad,,published,,,,,,BAD-1,,,10.00,EUR,1,1\n"                                # line 3
        "no-price,No price,,published,,,,,,NP-1,,,,EUR,1,1\n"                                 # line 4
        "too-precise,Too precise,,published,,,,,,TP-1,,,10.001,EUR,1,1\n"                      # line 5
        "dup-sku,Dup,,published,,,,,,OK-1,,,10.00,EUR,1,1\n"                                  # line 6
        "bad-cat,Bad cat,,published,nowhere,,,,,BC-1,,,10.00,EUR,1,1\n"                        # line 7
        "bad-attr,Bad attr,,published,,silk,,,,BA-1,,,10.00,EUR,1,1\n"                         # line 8
        "no-alt,No alt,,published,,,,/x.png,,NA-1,,,10.00,EUR,1,1\n"                           # line 9
        "taken,Taken,,published,,,,,,CHINOS-S,,,10.00,EUR,1,1\n"                               # line 10
        "neg-stock,Neg,,published,,,,,,NS-1,,,10.00,EUR,1,-3\n"                                # line 11
        "ok-product,Ok renamed,,published,shirts,cotton,true,/i.png,Alt,OK-2,M,Red,10.00,EUR,1,1\n"  # line 12
        "short-row,Short\n"                                                                    # line 13
    )
    path = tmp_path / "bad.csv"
    path.write_text(bad)
    before = await Product.count().run()
    report = await import_products(catalog_app.runtime, path)
    assert not report.ok and not report.written
    by_line = {error.line: error.message for error in report.errors}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert "product_slug" in by_line[3]
    assert "price" in by_line[4] and "required" in by_line[4]
    assert "decimal places" in by_line[5]
    assert "already on line 2" in by_line[6]
    assert "nowhere" in by_line[7]
    assert "silk" in by_line[8] or "material" in by_line[8]
    assert "alt" in by_line[9]
    assert "belongs to product 'chinos'" in by_line[10]
    assert "stock" in by_line[11]
    assert "differ from line 2" in by_line[12]
    assert "has 2 cells but the header has 16 columns" in by_line[13]
    assert await Product.count().run() == before
    assert await services.get_product("ok-product", include_drafts=True) is None


async def test_bad_header_and_bad_json(catalog_app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("product_slug,title,colour\nx,X,Red\n")
    report = await import_products(catalog_app.runtime, path)
    assert [e.line for e in report.errors] == [1]
    assert "missing column 'sku'" in report.errors[0].message and "unknown column 'colour'" in report.errors[0].message
    path = tmp_path / "bad.jsonl"
    path.write_text('{"product_slug": "a", "title": "A", "sku": "A-1", "price": "1.00"}\n\n{nope\n[1, 2]\n'
                    '{"product_slug": "b", "title": "B", "sku": "B-1", "price": 1.5}\n')
    report = await import_products(catalog_app.runtime, path)
    assert [e.line for e in report.errors] == [3, 4, 5]
    assert "not valid JSON" in report.errors[0].message
    assert "float" in report.errors[2].message
    assert await services.get_product("a") is None


async def test_jsonl_import_and_multi_warehouse(catalog_app, tmp_path):
    await services.save_warehouse(catalog_app.runtime, "north", "North depot")
    path = tmp_path / "products.jsonl"
    rows = [
        {"product_slug": "lamp", "title": "Desk lamp", "categories": ["home"], "attributes": {"organic": "no"},
         "images": [{"url": "https://cdn.example/lamp.jpg", "alt": "A brass desk lamp"}],
         "sku": "LAMP-1", "options": {"finish": "Brass"}, "price_amount": 4500, "stock": {"default": 3, "north": 4}},
        {"product_slug": "lamp", "sku": "LAMP-2", "options": {"finish": "Black"}, "price": "42.00", "stock": 1},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = await import_products(catalog_app.runtime, path)
    assert report.ok, report.errors
    lamp = await services.get_product("lamp", include_drafts=True)
    assert lamp["status"] == "published"
    assert [(v["sku"], v["price"]["amount"], v["quantity_available"]) for v in lamp["variants"]] == [
        ("LAMP-1", 4500, 7), ("LAMP-2", 4200, 1)]
    assert lamp["attributes"] == {"organic": False}


async def test_export_round_trip(catalog_app, tmp_path):
    runtime = catalog_app.runtime
    await services.save_warehouse(runtime, "north", "North depot")
    await services.set_stock(runtime, "CHINOS-S", "north", 9)
    for fmt in ("csv", "jsonl"):
        first = tmp_path / f"export.{fmt}"
        rows = await export_products(first)
        assert rows == 15  # seven products with two variants, one draft with one
        before = await services.get_product("chinos")
        report = await import_products(runtime, first)
        assert report.ok, report.errors[:3]
        assert await services.get_product("chinos") == {**before, "updated_at": before["updated_at"]}
        second = tmp_path / f"again.{fmt}"
        await export_products(second)
        assert second.read_text() == first.read_text()
    header = (tmp_path / "export.csv").read_text().splitlines()[0].split(",")
    assert {"attribute:material", "option:size", "option:colour", "stock:north"} <= set(header)


async def test_csv_export_refuses_what_csv_cannot_hold(catalog_app, tmp_path):
    import pytest

    from engine.errors import ShopError

    await services.save_product(catalog_app.runtime, {
        "slug": "piped", "title": "Piped", "status": "published",
        "images": [{"url": "/p.png", "alt": "Left | right"}], "variants": [{"sku": "PIPE-1", "price_amount": 100}]})
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(ShopError, match="JSON Lines"):
        await export_products(folder / "out.csv")
    assert list(folder.iterdir()) == []
    assert await export_products(folder / "out.jsonl") == 16
