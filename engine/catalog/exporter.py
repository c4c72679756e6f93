"""Export products as CSV or JSON Lines, in the import format (one row per
variant, product fields repeated on each row), so an export re-imports to the
same catalog. Streams in pages of 500 products by id: memory stays flat.
Products without variants have no row and are not exported.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Callable, TextIO

from engine.db.sql import fetch, placeholders
from engine.errors import InvalidInput
from engine.catalog.facets import variant_options
from engine.catalog.importer import BASE_COLUMNS, LIST_SEPARATOR, detect_format, maybe_await
from engine.catalog.validation import format_price

PAGE = 500


async def _page(after_id: int) -> tuple[list[dict[str, Any]], int | None]:
    """Export records for the next page of products after ``after_id``, and the
    last product id of the page (None when there are no more products)."""
    products = await fetch(
        "SELECT id, slug, title, description, status, seo_title, seo_description, tax_class FROM catalog_products "
        "WHERE id > {} ORDER BY id LIMIT {}", after_id, PAGE)
    if not products:
        return [], None
    ids = [p["id"] for p in products]
    marks = placeholders(ids)
    variants = await fetch(f"SELECT id, product, sku, options, price_amount, currency, weight_grams "
                           f"FROM catalog_variants WHERE product IN ({marks}) ORDER BY product, position, id", *ids)
    stock = await fetch(f"SELECT s.variant, w.code, w.is_default, s.on_hand FROM catalog_stock s "
                        f"JOIN catalog_warehouses w ON w.id = s.warehouse JOIN catalog_variants v ON v.id = s.variant "
                        f"WHERE v.product IN ({marks}) ORDER BY w.code", *ids)
    categories = await fetch(f"SELECT pc.product, c.slug FROM catalog_product_categories pc JOIN catalog_categories c "
                             f"ON c.id = pc.category WHERE pc.product IN ({marks}) ORDER BY pc.position, pc.id", *ids)
    images = await fetch(f"SELECT product, url, alt FROM catalog_product_images WHERE product IN ({marks}) "
                         f"ORDER BY position, id", *ids)
    attributes = await fetch(f"SELECT av.product, a.code, av.value FROM catalog_product_attribute_values av "
                             f"JOIN catalog_attributes a ON a.id = av.attribute WHERE av.product IN ({marks}) "
                             f"ORDER BY a.code", *ids)
    by_product: dict[int, dict[str, Any]] = {p["id"]: {"categories": [], "images": [], "attributes": {}} for p in products}
    for row in categories:
        by_product[row["product"]]["categories"].append(row["slug"])
    for row in images:
        by_product[row["product"]]["images"].append({"url": row["url"], "alt": row["alt"]})
    for row in attributes:
        by_product[row["product"]]["attributes"][row["code"]] = row["value"]
    stock_by_variant: dict[int, dict[str, int]] = {}
    for row in stock:
        stock_by_variant.setdefault(row["variant"], {})["default" if row["is_default"] else row["code"]] = row["on_hand"]
    product_by_id = {p["id"]: p for p in products}
    records = []
    for variant in variants:
        product = product_by_id[variant["product"]]
        extra = by_product[product["id"]]
        records.append({
            "product_slug": product["slug"], "title": product["title"], "description": product["description"],
            "status": product["status"], "seo_title": product["seo_title"],
            "seo_description": product["seo_description"], "tax_class": product["tax_class"],
            "categories": extra["categories"], "attributes": extra["attributes"], "images": extra["images"],
            "sku": variant["sku"], "options": json.loads(variant["options"] or "{}"),
            "price": format_price(variant["price_amount"], variant["currency"]), "currency": variant["currency"],
            "weight_grams": variant["weight_grams"], "stock": stock_by_variant.get(variant["id"], {}),
        })
    return records, ids[-1]


async def _csv_header() -> list[str]:
    attributes = [row["code"] for row in await fetch("SELECT code FROM catalog_attributes ORDER BY code")]
    options = [row["name"] for row in await fetch(
        f"SELECT DISTINCT o.key AS name FROM {variant_options()} ORDER BY o.key")]
    warehouses = [row["code"] for row in await fetch(
        "SELECT code FROM catalog_warehouses WHERE is_default = {} ORDER BY code", False)]
    return [*BASE_COLUMNS, *(f"attribute:{c}" for c in attributes), *(f"option:{o}" for o in options),
            *(f"stock:{w}" for w in warehouses)]


def _csv_row(record: dict[str, Any], header: list[str]) -> list[str]:
    for image in record["images"]:
        if LIST_SEPARATOR in image["url"] or LIST_SEPARATOR in image["alt"]:
            raise InvalidInput(f"product {record['product_slug']!r} has an image URL or alt text containing "
                               f"'{LIST_SEPARATOR}', which CSV cannot hold: export as JSON Lines (.jsonl)")
    cells = {
        **{k: record[k] for k in ("product_slug", "title", "description", "status", "seo_title", "seo_description",
                                  "tax_class", "sku", "price", "currency")},
        "weight_grams": str(record["weight_grams"]),
        "categories": LIST_SEPARATOR.join(record["categories"]),
        "image_urls": LIST_SEPARATOR.join(i["url"] for i in record["images"]),
        "image_alts": LIST_SEPARATOR.join(i["alt"] for i in record["images"]),
        "stock": str(record["stock"].get("default", "")),
    }
    for code, value in record["attributes"].items():
        cells[f"attribute:{code}"] = value
    for name, value in record["options"].items():
        cells[f"option:{name}"] = value
    for code, quantity in record["stock"].items():
        if code != "default":
            cells[f"stock:{code}"] = str(quantity)
    return [cells.get(column, "") for column in header]


async def export_to(handle: TextIO, fmt: str, progress: Callable[[int], Any] | None = None) -> int:
    """Write every product variant to ``handle``; returns the number of rows."""
    writer = None
    header: list[str] = []
    if fmt == "csv":
        header = await _csv_header()
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
    count, after = 0, 0
    while True:
        records, last = await _page(after)
        if last is None:
            break
        after = last
        for record in records:
            if writer is not None:
                writer.writerow(_csv_row(record, header))
            else:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += len(records)
        if progress:
            await maybe_await(progress(len(records)))
    return count


async def export_products(path: str | Path, fmt: str | None = None,
                          progress: Callable[[int], None] | None = None) -> int:
    """Export to a file (format from ``fmt`` or the extension, as for import).
    Written to ``<path>.part`` and renamed when complete: a failed export
    leaves no half file behind."""
    fmt = detect_format(path, fmt)
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("w", newline="", encoding="utf-8") as handle:
            rows = await export_to(handle, fmt, progress)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return rows
