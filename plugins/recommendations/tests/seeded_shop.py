"""A seeded shop with synthetic co-purchase patterns, for the plugin's tests.

The sample catalog (engine.testing.themes) plus 48 products over three
categories, and a few hundred paid orders drawn from a fixed random seed:
half of them hold one of the :data:`PLANTED` pairs (each pair crosses
categories and shares no words, so only co-purchases can find it) plus
maybe a popular product; the rest are one to three products drawn with a
popularity skew (so best sellers are a fair baseline). Orders are arranged
straight in the orders tables (``engine.testing.fetch``): a few hundred real
checkouts would take minutes.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from engine.testing import fetch
from engine.testing.themes import placeholder_url, seed_sample_catalog

WORDS = {
    "shirts": ["cotton", "collar", "sleeve", "button", "weave"],
    "trousers": ["waist", "pleat", "denim", "hem", "pocket"],
    "mugs": ["ceramic", "glaze", "handle", "coffee", "kiln"],
}
KINDS = {"shirts": "shirt", "trousers": "trousers", "mugs": "mug"}
NAMES = ["alder", "birch", "cedar", "dune", "ember", "fjord", "grove", "heath", "iris", "juniper", "kelp", "larch",
         "maple", "nettle", "oak", "pine"]
#: planted co-purchase pairs (slug, slug): each crosses categories
PLANTED = [("alder-shirt", "cedar-mug"), ("birch-trousers", "ember-shirt"), ("dune-mug", "fjord-trousers"),
           ("grove-shirt", "heath-mug"), ("iris-trousers", "kelp-shirt"), ("larch-mug", "maple-trousers"),
           ("nettle-shirt", "oak-mug"), ("pine-trousers", "juniper-mug")]


def products() -> list[dict]:
    made = []
    for category, words in WORDS.items():
        for index, name in enumerate(NAMES):
            slug = f"{name}-{KINDS[category]}"
            sku = slug.upper()
            text = " ".join(words[(index + k) % len(words)] for k in range(3))
            made.append({
                "slug": slug, "title": f"{name.title()} {KINDS[category]}", "status": "published",
                "categories": [category], "description": f"A {KINDS[category]} of {text}.",
                "images": [{"url": placeholder_url(slug), "alt": f"{name.title()} {KINDS[category]}"}],
                "variants": [{"sku": sku, "options": {}, "price": {"amount": 1500 + 100 * index, "currency": "EUR"},
                              "stock": 20}],
            })
    return made


async def seed(runtime, orders: int = 240, seed_value: int = 21) -> dict[str, int]:
    """Seed the catalog and ``orders`` paid orders; returns slug → product id."""
    await seed_sample_catalog(runtime, products())
    ids = {row["slug"]: row["id"] for row in await fetch("SELECT id, slug FROM catalog_products")}
    skus = {row["product"]: row["sku"] for row in await fetch("SELECT product, sku FROM catalog_variants")}
    await add_orders(ids, skus, baskets(list(ids), orders, random.Random(seed_value)))
    return ids


def baskets(slugs: list[str], count: int, rng: random.Random) -> list[list[str]]:
    ours = [s for s in slugs if s.split("-")[0] in NAMES]
    weights = [1.0 / (rank + 1) for rank in range(len(ours))]  # a popularity skew
    drawn = []
    for number in range(count):
        if number % 2 == 0:
            basket = list(PLANTED[(number // 2) % len(PLANTED)])
            if rng.random() < 0.5:
                basket.append(rng.choices(ours, weights)[0])
        else:
            basket = rng.choices(ours, weights, k=rng.randint(1, 3))
        drawn.append(list(dict.fromkeys(basket)))
    return drawn


async def add_orders(ids: dict[str, int], skus: dict[int, str], drawn: list[list[str]], prefix: str = "SEED") -> None:
    """Paid orders of these baskets (slugs), an hour apart, numbered ``<prefix>-00000``..."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    marks, values = [], []
    for position, basket in enumerate(drawn):
        marks.append("({}, {}, {}, {}, {}, {}, {}, {}, {})")
        values += [f"{prefix}-{position:05d}", "paid", f"buyer{position}@example.test", "salt", "EUR", 1000, 1000,
                   start + timedelta(hours=position), start + timedelta(hours=position)]
    await fetch("INSERT INTO orders (number, status, email, token_salt, currency, total, paid_amount, placed_at, "
                f"updated_at) VALUES {', '.join(marks)}", *values)
    numbers = {row["number"]: row["id"] for row in await fetch("SELECT id, number FROM orders")}
    marks, values = [], []
    for position, basket in enumerate(drawn):
        for line, slug in enumerate(basket):
            marks.append("({}, {}, {}, {}, {}, {}, {}, {}, {})")
            values += [numbers[f"{prefix}-{position:05d}"], skus[ids[slug]], ids[slug], slug, 1, 1000, 1000, line, 1000]
    await fetch("INSERT INTO order_lines (order_id, sku, product_id, title, quantity, unit_price, subtotal, position, "
                f"total) VALUES {', '.join(marks)}", *values)
