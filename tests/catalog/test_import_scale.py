"""The importer on a file of many batches (both databases), and its progress
on the command line."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from engine.catalog import services
from engine.catalog.importer import import_products
from engine.db.sql import fetch, fetchval

COLOURS = ["Red", "Blue", "Green", "Black", "White"]
SIZES = ["S", "M", "L"]
HEADER = ["product_slug", "title", "description", "status", "categories", "attribute:material",
          "attribute:organic", "image_urls", "image_alts", "sku", "option:size", "option:colour", "price",
          "currency", "weight_grams", "stock"]


def write_file(path: Path, products: int, *, price_shift: int = 0, recolour: int | None = None) -> list[list]:
    """``products`` products of three variants each (size S/M/L, one colour
    per product; ``recolour`` gives that product's variants other colours)."""
    rows = []
    for index in range(products):
        base = COLOURS[index % len(COLOURS)]
        category = ["shirts", "trousers", "home"][index % 3]
        material = ["cotton", "linen", "wool"][index % 3]
        for position, size in enumerate(SIZES):
            colour = COLOURS[(index + 1 + position) % len(COLOURS)] if index == recolour else base
            price = 1000 + index * 10 + position * 100 + price_shift
            rows.append([f"bulk-{index}", f"Bulk item {index}", f"Item {index} in {base.lower()}", "published",
                         category, material, "true" if index % 2 else "false", f"/media/bulk/{index}.svg",
                         f"Bulk item {index}", f"BULK-{index}-{size}", size, colour, f"{price / 100:.2f}", "EUR",
                         str(300 + position), str(index % 7)])
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return rows


async def catalog_counts() -> dict[str, int]:
    counts = {}
    for table in ("catalog_products", "catalog_variants", "catalog_stock", "catalog_product_categories",
                  "catalog_product_images", "catalog_product_attribute_values"):
        counts[table] = await fetchval(f"SELECT COUNT(*) FROM {table} WHERE "
                                       + ("slug" if table == "catalog_products" else "id") + " IS NOT NULL")
    return counts


async def option_values(slug: str) -> set[tuple[str, str]]:
    """The option values the product's variants use, and its facet rows say
    the same when it is listed."""
    used = {pair for variant in (await services.get_product(slug))["variants"] for pair in variant["options"].items()}
    facets = {(row["name"], row["value"]) for row in await fetch(
        "SELECT f.name, f.value FROM catalog_product_facets f JOIN catalog_products p ON p.id = f.product "
        "WHERE p.slug = {} AND f.kind = 'option'", slug)}
    assert facets == used
    return used


async def test_many_batches_write_everything_and_reimport_changes_only_what_changed(catalog_app, tmp_path):
    runtime = catalog_app.runtime
    before = await catalog_counts()
    path = tmp_path / "bulk.csv"
    products = 1000
    write_file(path, products)
    statistics: list[float] = []

    async def after_batch(rows: int) -> None:
        if runtime.database.dialect == "postgres":
            statistics.append(await fetchval("SELECT reltuples FROM pg_class WHERE relname = 'catalog_variants'"))

    # 3,000 rows in batches of 400: products of three rows straddle batches
    report = await import_products(runtime, path, batch_size=400, progress=after_batch)
    assert report.ok and report.written and (report.rows, report.products, report.batches) == (3000, 1000, 8)
    counts = await catalog_counts()
    added = {table: counts[table] - before[table] for table in counts}
    assert added == {"catalog_products": 1000, "catalog_variants": 3000, "catalog_stock": 3000,
                     "catalog_product_categories": 1000, "catalog_product_images": 1000,
                     "catalog_product_attribute_values": 2000}
    straddling = await services.get_product("bulk-133")  # rows 400-402 of the file: batches one and two
    assert [v["sku"] for v in straddling["variants"]] == ["BULK-133-S", "BULK-133-M", "BULK-133-L"]
    assert straddling["price_from"]["amount"] == 1000 + 1330
    assert straddling["attributes"] == {"material": "linen", "organic": True}
    assert await option_values("bulk-133") == {("size", "S"), ("size", "M"), ("size", "L"), ("colour", "Black")}
    if runtime.database.dialect == "postgres":
        # statistics refreshed while importing (after 1,200 and 2,400 rows), not only at the end
        assert statistics[0] < 1000 <= statistics[2] == statistics[3] < 2400 <= statistics[5] < 3000
        assert await fetchval("SELECT reltuples FROM pg_class WHERE relname = 'catalog_variants'") >= 3000

    again = await import_products(runtime, path, batch_size=400)
    assert again.ok and await catalog_counts() == counts
    assert await option_values("bulk-133") == {("size", "S"), ("size", "M"), ("size", "L"), ("colour", "Black")}

    write_file(path, products, price_shift=-50, recolour=133)
    changed = await import_products(runtime, path, batch_size=400)
    assert changed.ok and await catalog_counts() == counts
    straddling = await services.get_product("bulk-133")
    assert straddling["price_from"]["amount"] == 1000 + 1330 - 50
    assert await option_values("bulk-133") == {("size", "S"), ("size", "M"), ("size", "L"), ("colour", "White"),
                                               ("colour", "Red"), ("colour", "Blue")}


def test_cli_shows_progress_on_stderr(cli_env, tmp_path):
    env = {**os.environ, **cli_env}
    assert subprocess.run([sys.executable, "-m", "engine.cli", "migrate"], env=env, capture_output=True,
                          timeout=120).returncode == 0
    path = tmp_path / "bulk.csv"
    rows = write_file(path, 4000)  # 12,000 rows: the check pass reports every 10,000
    subprocess.run([sys.executable, "-c", CREATE_REFERENCED], env=env, check=True, timeout=120)
    result = subprocess.run([sys.executable, "-m", "engine.cli", "import", "products", str(path), "--batch-size",
                             "5000"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith(("checking:", "importing:"))]
    assert progress[0] == "checking: 10,000 rows"
    # batches end with a product: 5,000 rows and the rest of product 1,666
    assert [line.split(" rows")[0] for line in progress[1:]] == [
        "importing: 5,001 of 12,000", "importing: 10,002 of 12,000", "importing: 12,000 of 12,000"]
    assert "(100%)" in progress[-1] and "rows/s" in progress[-1]
    assert "importing:" not in result.stdout and "checking:" not in result.stdout
    assert f"imported {len(rows)} row(s): 4000 product(s), 12000 variant(s)" in result.stdout


# the categories and attributes the generated file refers to, made through the services
CREATE_REFERENCED = """
import asyncio, os
from engine.catalog import services
from engine.runtime import Runtime
from engine.settings import load_settings

async def main():
    runtime = Runtime(load_settings())
    await runtime.connect()
    await runtime.start(background=False, jobs=False)
    try:
        for slug in ("shirts", "trousers", "home"):
            await services.save_category(runtime, {"slug": slug, "name": slug.title()})
        await services.save_attribute(runtime, {"code": "material", "name": "Material", "type": "choice",
                                                "choices": ["cotton", "linen", "wool"]})
        await services.save_attribute(runtime, {"code": "organic", "name": "Organic", "type": "boolean"})
    finally:
        await runtime.stop()

asyncio.run(main())
"""


async def test_a_sku_repeated_far_apart_is_reported_with_its_first_line(catalog_app, tmp_path):
    path = tmp_path / "dup.csv"
    rows = write_file(path, 700)  # 2,100 rows: checked in chunks of 500
    with path.open("a", newline="") as handle:
        csv.writer(handle).writerow(["late", "Late", "", "published", "", "", "", "", "", "BULK-3-M", "", "", "1.00",
                                     "EUR", "1", "1"])
        csv.writer(handle).writerow(["bad slug", "Bad", "", "published", "", "", "", "", "", "BAD-1", "", "", "1.00",
                                     "EUR", "1", "1"])
    before = await catalog_counts()
    report = await import_products(catalog_app.runtime, path, batch_size=400)
    assert not report.ok and not report.written
    late_line = len(rows) + 2  # after the header and every generated row
    assert [(error.line, error.message) for error in report.errors] == [
        (late_line, "sku: 'BULK-3-M' is already on line 12"),
        (late_line + 1, report.errors[1].message)]
    assert report.errors[1].message.startswith("product_slug:")
    assert await catalog_counts() == before
