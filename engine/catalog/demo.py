"""The demo catalog behind ``shopwright seed-demo``.

Deterministic (a fixed random seed): the same products, prices and stock every
time. Three category levels, typed attributes, size/colour variants, stock in
the default warehouse, prices in the store currency, and two generated
placeholder images per product (served by ``/media/placeholder/<name>.svg``)
with alt text. Products are written through the bulk importer, so the whole
catalog takes a second or two.
"""
from __future__ import annotations

import random
from typing import Any

from engine.catalog import services
from engine.db.sql import fetchval
from engine.catalog.importer import import_source, records_source
from engine.catalog.placeholders import placeholder_url
from engine.catalog.validation import format_price
from engine.money import currency_exponent

# (root, (group, (leaf, nouns, kind, picture, materials)))
# ``kind`` picks sizes and prices; ``picture`` the placeholder drawn
# (engine.catalog.placeholders.SHAPES); ``materials`` what such a product is made of.
TREE: list[tuple[str, list[tuple[str, list[tuple[str, list[str], str, str, list[str]]]]]]] = [
    ("Women", [
        ("Clothing", [("Dresses", ["dress", "midi dress", "shirt dress", "wrap dress"], "apparel", "dress",
                       ["cotton", "linen", "recycled polyester"]),
                      ("Tops", ["blouse", "tee", "camisole", "tunic"], "apparel", "top", ["cotton", "linen"]),
                      ("Knitwear", ["cardigan", "jumper", "roll neck"], "apparel", "jumper", ["wool", "cotton"])]),
        ("Accessories", [("Scarves", ["scarf", "shawl", "snood"], "accessory", "scarf", ["wool", "cotton"]),
                         ("Hats", ["beanie", "sun hat", "beret"], "accessory", "hat", ["wool", "cotton"])]),
    ]),
    ("Men", [
        ("Clothing", [("Shirts", ["oxford shirt", "flannel shirt", "linen shirt", "overshirt"], "apparel", "shirt",
                       ["cotton", "linen"]),
                      ("Trousers", ["chinos", "cords", "work trousers", "joggers"], "apparel", "trousers",
                       ["cotton", "recycled polyester"]),
                      ("Jackets", ["field jacket", "rain jacket", "quilted jacket", "chore coat"], "apparel", "jacket",
                       ["cotton", "recycled polyester", "wool"])]),
        ("Accessories", [("Belts", ["leather belt", "canvas belt", "braided belt"], "accessory", "belt",
                          ["leather", "cotton"]),
                         ("Socks", ["wool socks", "ankle socks", "walking socks"], "apparel", "socks",
                          ["wool", "cotton"])]),
    ]),
    ("Home", [
        ("Kitchen", [("Mugs", ["mug", "espresso cup", "tea cup"], "home", "mug", ["ceramic"]),
                     ("Textiles", ["tea towel", "apron", "oven glove"], "home", "towel", ["cotton", "linen"])]),
        ("Bedroom", [("Bedding", ["duvet cover", "pillowcase pair", "fitted sheet"], "home", "bedding",
                      ["cotton", "linen"]),
                     ("Cushions", ["cushion", "bolster", "floor cushion"], "home", "cushion", ["cotton", "linen", "wool"])]),
    ]),
]
ADJECTIVES = ["Everyday", "Classic", "Organic", "Heritage", "Coastal", "Alpine", "Studio", "Weekend", "Harbour",
              "Meadow", "Nordic", "Workshop", "Summer", "Winter", "Field"]
COLOURS = ["Navy", "Oat", "Forest", "Charcoal", "Rust", "Sky", "Ivory", "Plum"]
SIZES = {"apparel": ["XS", "S", "M", "L", "XL"], "accessory": ["One size"], "home": ["Standard", "Large"]}
MATERIALS = ["cotton", "linen", "wool", "recycled polyester", "ceramic", "leather"]
#: Materials that can be grown organically (an "Organic ..." product is made of one).
ORGANIC_MATERIALS = {"cotton", "linen", "wool"}
#: Words in a product's name that say what it is made of ("linen shirt", "canvas belt").
MATERIAL_WORDS = {"linen": "linen", "wool": "wool", "leather": "leather", "canvas": "cotton", "flannel": "cotton",
                  "cords": "cotton", "chinos": "cotton"}
CARE = {"ceramic": "Dishwasher safe", "leather": "Wipe clean with a damp cloth", "wool": "Hand wash cold",
        "linen": "Machine wash at 40 °C", "cotton": "Machine wash at 30 °C",
        "recycled polyester": "Machine wash at 30 °C"}
PRICE_RANGE = {"apparel": (19, 149), "accessory": (9, 69), "home": (7, 89)}
FITS = ["slim", "regular", "relaxed"]


def _slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def _leaves() -> list[tuple[str, list[str], str, str, str, list[str]]]:
    """(leaf category slug, nouns, kind, breadcrumb text, picture, materials) for every leaf."""
    leaves = []
    for root, groups in TREE:
        for group, items in groups:
            for leaf, nouns, kind, picture, materials in items:
                leaves.append((_slug(f"{root} {leaf}"), nouns, kind, f"{root} › {group} › {leaf}", picture, materials))
    return leaves


def _material(noun: str, adjective: str, materials: list[str], rng: random.Random) -> str:
    """What the product is made of, consistent with its name: a material word
    in the name wins; an "Organic" product is of a material that can be
    organic where the category has one."""
    for word, material in MATERIAL_WORDS.items():
        if word in noun.lower().split():
            return material
    if adjective == "Organic":
        materials = [m for m in materials if m in ORGANIC_MATERIALS] or materials
    return rng.choice(materials)


async def _categories(runtime: Any) -> None:
    for root_index, (root, groups) in enumerate(TREE):
        root_slug = _slug(root)
        await services.save_category(runtime, {
            "slug": root_slug, "name": root, "position": root_index,
            "description": f"Everything for {root.lower()}: made to last, priced fairly.",
            "seo_title": f"{root} | Demo store"})
        for group_index, (group, items) in enumerate(groups):
            group_slug = _slug(f"{root} {group}")
            await services.save_category(runtime, {"slug": group_slug, "name": group, "parent": root_slug,
                                                   "position": group_index})
            for leaf_index, (leaf, *_) in enumerate(items):
                await services.save_category(runtime, {
                    "slug": _slug(f"{root} {leaf}"), "name": leaf, "parent": group_slug, "position": leaf_index,
                    "description": f"Our {leaf.lower()}, in small batches."})


async def _attributes(runtime: Any) -> None:
    for position, definition in enumerate([
        {"code": "material", "name": "Material", "type": "choice", "choices": MATERIALS},
        {"code": "organic", "name": "Organic", "type": "boolean"},
        {"code": "fit", "name": "Fit", "type": "choice", "choices": FITS},
        {"code": "care", "name": "Care", "type": "text", "filterable": False},
        {"code": "weight_gsm", "name": "Fabric weight (g/m²)", "type": "number"},
    ]):
        await services.save_attribute(runtime, {**definition, "position": position})


def demo_records(products: int, currency: str, seed: int = 2024) -> list[dict[str, Any]]:
    """Import records (one per variant) for ``products`` demo products."""
    rng = random.Random(seed)
    leaves = _leaves()
    scale = 10 ** currency_exponent(currency)
    records: list[dict[str, Any]] = []
    used: set[str] = set()
    for index in range(products):
        leaf_slug, nouns, kind, trail, picture, materials = leaves[index % len(leaves)]
        noun = rng.choice(nouns)
        adjective = rng.choice(ADJECTIVES)
        material = _material(noun, adjective, materials, rng)
        if adjective == "Organic" and material not in ORGANIC_MATERIALS:
            adjective = "Classic"  # no "Organic mug" nor "Organic leather belt"
        title = f"{adjective} {noun}"
        slug = _slug(title)
        if slug in used:
            slug = f"{slug}-{index}"
        used.add(slug)
        low, high = PRICE_RANGE[kind]
        base = rng.randrange(low, high) * scale + (rng.choice([0, 50, 90, 95]) * scale // 100)
        colours = rng.sample(COLOURS, k=rng.choice([1, 2, 3]))
        organic = adjective == "Organic" or (material in ORGANIC_MATERIALS and rng.random() < 0.3)
        attributes: dict[str, Any] = {"material": material, "organic": organic, "care": CARE[material]}
        if kind == "apparel" and picture != "socks":
            attributes["fit"] = rng.choice(FITS)
            attributes["weight_gsm"] = rng.choice([120, 160, 180, 220, 280, 340])
        description = (
            f"The {title.lower()} is part of our {trail.split(' › ')[-1].lower()} range: "
            f"{material} chosen for how it wears in, not just how it looks on day one. "
            f"{'Cut for a ' + attributes['fit'] + ' fit. ' if 'fit' in attributes else ''}"
            f"Available in {', '.join(c.lower() for c in colours)}."
        )
        images = [
            {"url": placeholder_url(f"{slug}-1", picture), "alt": f"{title} in {colours[0].lower()}, front view"},
            {"url": placeholder_url(f"{slug}-2", picture), "alt": f"{title} in {colours[-1].lower()}, seen from the back"},
        ]
        sizes = SIZES[kind]
        product = {
            "product_slug": slug, "title": title, "description": description, "status": "published",
            "seo_title": f"{title} | Demo store", "seo_description": description[:150],
            "tax_class": "standard", "categories": [leaf_slug], "attributes": attributes, "images": images,
        }
        for colour in colours:
            for size_index, size in enumerate(sizes):
                amount = base + size_index * (scale * 2 if kind == "home" else 0)
                stock = 0 if rng.random() < 0.12 else rng.randrange(1, 40)
                records.append({
                    **product,
                    "sku": f"DEMO-{index:04d}-{colour[:3].upper()}-{_slug(size).upper()}",
                    "options": {"colour": colour, "size": size},
                    "price": format_price(amount, currency), "currency": currency,
                    "weight_grams": rng.randrange(80, 1500, 10), "stock": stock,
                })
    return records


async def seed_demo_catalog(runtime: Any, products: int = 300) -> int:
    """Create the demo catalog; returns the number of products created, or 0
    when the catalog already has products (nothing is changed then)."""
    if products < 1:
        raise ValueError("products: must be at least 1")
    if await fetchval("SELECT COUNT(*) FROM catalog_products"):
        return 0
    currency = runtime.settings.store.currency
    await _categories(runtime)
    await _attributes(runtime)
    records = demo_records(products, currency)
    report = await import_source(runtime, records_source(records))
    if not report.ok:  # a bug in this module, not bad input
        raise RuntimeError(f"demo catalog rejected: {report.errors[:3]}")
    slugs = list(dict.fromkeys(record["product_slug"] for record in records))
    await services.save_collection(runtime, {"slug": "featured", "title": "Featured", "position": 0,
                                             "description": "Hand-picked favourites.", "products": slugs[:8]})
    await services.save_collection(runtime, {"slug": "new-arrivals", "title": "New arrivals", "position": 1,
                                             "description": "Just landed.", "products": slugs[-12:]})
    return report.products
