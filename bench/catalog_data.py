"""Synthetic catalog files for the catalog benchmarks (not a test fixture).

``write_catalog_file(path, variants, fmt, per_product)`` writes ``variants``
rows (``per_product`` sizes per product, four by default) in the import format, spread
over the categories and attributes that :func:`prepare_catalog` creates.
"""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

SIZES = ["S", "M", "L", "XL"]
COLOURS = ["Red", "Blue", "Green", "Black", "White", "Grey", "Navy", "Olive"]
NOUNS = ["shirt", "jacket", "trousers", "dress", "sweater", "scarf", "hat", "coat", "skirt", "hoodie"]
ADJECTIVES = ["linen", "wool", "cotton", "organic", "slim", "relaxed", "classic", "summer", "winter", "cosy",
              "striped", "plain", "vintage", "waterproof", "lightweight"]
MATERIALS = ["cotton", "linen", "wool", "polyester", "silk"]
ROOTS = ["women", "men", "kids"]
LEAVES = ["tops", "bottoms", "outerwear", "accessories", "knitwear"]


def category_slugs() -> list[tuple[str, str | None]]:
    """(slug, parent slug) pairs, parents first."""
    pairs: list[tuple[str, str | None]] = [(root, None) for root in ROOTS]
    pairs += [(f"{root}-{leaf}", root) for root in ROOTS for leaf in LEAVES]
    return pairs


async def prepare_catalog(runtime, categories: list[tuple[str, str | None]] | None = None,
                          fits: list[str] | None = None) -> None:
    """Categories (``categories``, default :func:`category_slugs`) and the
    attribute definitions the generated files refer to (``fit`` too, with
    these choices, when ``fits`` is given)."""
    from engine.catalog import services

    for slug, parent in categories or category_slugs():
        await services.save_category(runtime, {"slug": slug, "name": slug.replace("-", " ").title(), "parent": parent})
    await services.save_attribute(runtime, {"code": "material", "name": "Material", "type": "choice",
                                            "choices": MATERIALS})
    await services.save_attribute(runtime, {"code": "organic", "name": "Organic", "type": "boolean"})
    if fits:
        await services.save_attribute(runtime, {"code": "fit", "name": "Fit", "type": "choice", "choices": fits})


def records(variants: int, seed: int = 7, per_product: int = len(SIZES)):
    rng = random.Random(seed)
    leaves = [slug for slug, parent in category_slugs() if parent]
    sizes = SIZES[:per_product]
    for index in range(variants // len(sizes)):
        adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
        colour = rng.choice(COLOURS)
        slug = f"{adjective}-{noun}-{index}"
        title = f"{adjective.title()} {noun} {index}"
        base = rng.randrange(900, 25_000, 100)
        category, material, organic = rng.choice(leaves), rng.choice(MATERIALS), rng.random() < 0.3
        for position, size in enumerate(sizes):
            yield {
                "product_slug": slug, "title": title,
                "description": f"A {adjective} {noun} in {colour.lower()}, made to last. Item {index}.",
                "status": "published", "categories": [category],
                "attributes": {"material": material, "organic": organic},
                "images": [{"url": f"/media/placeholder/{slug}.svg", "alt": f"{title} in {colour.lower()}"}],
                "sku": f"{slug.upper()}-{size}", "options": {"size": size, "colour": colour},
                "price": f"{(base + position * 200) / 100:.2f}", "currency": "EUR",
                "weight_grams": 200 + position * 20, "stock": rng.randrange(0, 40),
            }


def write_catalog_file(path: Path, variants: int, fmt: str = "csv", per_product: int = len(SIZES)) -> int:
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        if fmt == "jsonl":
            for record in records(variants, per_product=per_product):
                handle.write(json.dumps(record) + "\n")
                rows += 1
            return rows
        writer = csv.writer(handle)
        writer.writerow(["product_slug", "title", "description", "status", "categories", "attribute:material",
                         "attribute:organic", "image_urls", "image_alts", "sku", "option:size", "option:colour",
                         "price", "currency", "weight_grams", "stock"])
        for r in records(variants, per_product=per_product):
            writer.writerow([r["product_slug"], r["title"], r["description"], r["status"], "|".join(r["categories"]),
                             r["attributes"]["material"], str(r["attributes"]["organic"]).lower(),
                             r["images"][0]["url"], r["images"][0]["alt"], r["sku"], r["options"]["size"],
                             r["options"]["colour"], r["price"], r["currency"], r["weight_grams"], r["stock"]])
            rows += 1
    return rows
