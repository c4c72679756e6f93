"""Migrate the Oscar site and load the benchmark catalog into it.

Run with the Oscar virtualenv's Python, from this folder, with
``OSCAR_BENCH_DIR`` set: ``python load_catalog.py PRODUCTS [--standalone]``.

The catalog comes from ``bench/catalog_data.py``, the generator our own
benchmarks import: the same 3 root and 15 leaf categories, the same titles,
leaf category, prices and stock per product. Each of our products becomes an
Oscar parent product with one child per size (each with a stock record), or
with ``--standalone`` one standalone product with the first size's stock
record. Rows are written with ``bulk_create``; the search index is built last,
in one batch (one Whoosh segment). The URLs of the ``women`` category page
and of the first product go to ``catalog.json`` in ``OSCAR_BENCH_DIR``.
"""
import argparse
import json
import os
import shutil
import sys
import time
from decimal import Decimal
from itertools import groupby
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # catalog_data.py
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

from catalog_data import ROOTS, SIZES, category_slugs, records  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402

Category = get_model("catalogue", "Category")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductAttribute = get_model("catalogue", "ProductAttribute")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")

BATCH = 2000


def make_categories() -> dict[str, object]:
    """The same tree as ours; ``{slug: Category}``."""
    nodes: dict[str, object] = {}
    for slug, parent in category_slugs():
        node = Category(name=slug.replace("-", " ").title(), slug=slug)  # named as prepare_catalog() does
        nodes[slug] = (Category.objects.add_child(nodes[parent], instance=node) if parent
                       else Category.objects.add_root(instance=node))
    return nodes


def grouped_records(products: int):
    """Our generator's rows (4 sizes each), grouped per product."""
    rows = records(products * len(SIZES))
    for _slug, variants in groupby(rows, key=lambda row: row["product_slug"]):
        yield list(variants)


def load(products: int, standalone: bool) -> dict[str, str]:
    """Write the catalog; the pages to measure, ``{name: path}``."""
    categories = make_categories()
    product_class = ProductClass.objects.create(name="Clothing", slug="clothing", track_stock=True)
    material = ProductAttribute.objects.create(product_class=product_class, name="Material", code="material",
                                               type=ProductAttribute.TEXT)
    organic = ProductAttribute.objects.create(product_class=product_class, name="Organic", code="organic",
                                              type=ProductAttribute.BOOLEAN)
    partner = Partner.objects.create(name="Shop", code="shop")

    groups = list(grouped_records(products))
    structure = Product.STANDALONE if standalone else Product.PARENT
    heads = Product.objects.bulk_create(
        [Product(structure=structure, title=g[0]["title"], slug=g[0]["product_slug"], description=g[0]["description"],
                 product_class=product_class, upc=g[0]["sku"] if standalone else None) for g in groups],
        batch_size=BATCH)
    ProductCategory.objects.bulk_create(
        [ProductCategory(product=head, category=categories[g[0]["categories"][0]]) for head, g in zip(heads, groups)],
        batch_size=BATCH)
    values = []
    for head, g in zip(heads, groups):
        values.append(ProductAttributeValue(product=head, attribute=material, value_text=g[0]["attributes"]["material"]))
        values.append(ProductAttributeValue(product=head, attribute=organic, value_boolean=g[0]["attributes"]["organic"]))
    ProductAttributeValue.objects.bulk_create(values, batch_size=BATCH)

    if standalone:
        sellable = [(head, g[0]) for head, g in zip(heads, groups)]
    else:
        children = Product.objects.bulk_create(
            [Product(structure=Product.CHILD, parent=head, upc=row["sku"], slug=row["product_slug"],
                     title=f"{row['title']} {row['options']['size']}")
             for head, g in zip(heads, groups) for row in g],
            batch_size=BATCH)
        sellable = list(zip(children, [row for g in groups for row in g]))
    StockRecord.objects.bulk_create(
        [StockRecord(product=product, partner=partner, partner_sku=row["sku"], price_currency=row["currency"],
                     price=Decimal(row["price"]), num_in_stock=row["stock"]) for product, row in sellable],
        batch_size=BATCH)
    return {"category": categories["women"].get_absolute_url(), "product": heads[0].get_absolute_url(),
            "product_slug": heads[0].slug}


def copy_missing_image() -> None:
    """Oscar's "image not found" picture must lie in MEDIA_ROOT for the thumbnailer."""
    target = Path(settings.MEDIA_ROOT) / settings.OSCAR_MISSING_IMAGE_URL
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(finders.find(f"oscar/img/{settings.OSCAR_MISSING_IMAGE_URL}"), target)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("products", type=int)
    parser.add_argument("--standalone", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    with transaction.atomic():
        pages = load(args.products, args.standalone)
    loaded = time.perf_counter()
    copy_missing_image()
    call_command("rebuild_index", interactive=False, verbosity=0, batchsize=args.products)
    indexed = time.perf_counter()
    (Path(settings.DATA) / "catalog.json").write_text(json.dumps(pages))
    kind = "standalone products" if args.standalone else f"parent products with {len(SIZES)} children each"
    print(f"oscar catalog: {args.products} {kind} in {len(ROOTS)} root categories; migrate "
          f"{migrated - started:.1f} s, load {loaded - migrated:.1f} s, search index {indexed - loaded:.1f} s")


if __name__ == "__main__":
    main()
