"""The admin's product list with many products: time ``list_products`` (the
query behind ``/admin/products``) for its search and filters, first page and
deep, then the HTTP page in-process (a signed-in owner).

Imports ``--products`` products (two variants each, one in five a draft, one
in four in the ``shirts`` category) through the catalog importer into a fresh
database, then times each scenario's first page and, following the keyset
cursor, up to ``--pages`` pages.

Usage: python bench/admin_products.py [--products 10000] [--pages 40] [--requests 20] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

NOUNS = ["shirt", "jacket", "scarf", "hat", "coat", "mug", "lamp", "chair"]


def records(total: int):
    for i in range(1, total + 1):
        for size in ("S", "M"):
            yield {"product_slug": f"product-{i}", "title": f"{NOUNS[i % len(NOUNS)].title()} number {i}",
                   "status": "draft" if i % 5 == 0 else "published", "categories": ["shirts"] if i % 4 == 0 else [],
                   "sku": f"SKU-{i:06d}-{size}", "price": f"{10 + i % 90}.00", "options": {"size": size},
                   "stock": 5}


def scenarios(total: int):
    return [
        ("newest", {}),
        ("status=draft (1 in 5)", {"status": "draft"}),
        ("category=shirts (1 in 4)", {"category": "shirts"}),
        ("q=title word (1 in 8)", {"q": "lamp"}),
        ("q=SKU prefix (one)", {"q": f"SKU-{total // 2:06d}"}),
        ("q=SKU prefix (one in 10)", {"q": "SKU-0001"}),
        ("q=matching none (a scan)", {"q": "zebra"}),
    ]


async def walk(filters: dict, pages: int) -> tuple[list[float], int]:
    from engine.catalog.manage import list_products

    timings, cursor, seen = [], None, 0
    for _ in range(pages):
        started = time.perf_counter()
        items, cursor = await list_products(cursor, 50, filters.get("status"), filters.get("q"),
                                            filters.get("category"))
        timings.append((time.perf_counter() - started) * 1000)
        seen += len(items)
        if cursor is None:
            break
    return timings, seen


async def time_pages(app, requests: int, total: int) -> None:
    from engine.catalog.manage import list_products
    from engine.testing.admin import staff_client

    client = await staff_client(app)
    cursor = None
    for _ in range(40):
        _, cursor = await list_products(cursor, 50)
    pages = [("GET /admin/products", "/admin/products"),
             ("GET /admin/products?category=shirts", "/admin/products?category=shirts"),
             ("GET /admin/products?q=<sku>", f"/admin/products?q=SKU-{total // 3:06d}"),
             ("GET /admin/products (page 41)", f"/admin/products?cursor={cursor}"),
             ("GET /admin/products/<id>", f"/admin/products/{total // 2}")]
    print(f"\n{'page':<38} {'median ms':>10} {'p95 ms':>8}")
    for label, path in pages:
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        timings.sort()
        print(f"{label:<38} {statistics.median(timings):>10.1f} {timings[max(int(len(timings) * 0.95) - 1, 0)]:>8.1f}")


async def run(args: argparse.Namespace, folder: Path) -> None:
    from engine.app import create_app
    from engine.catalog.importer import import_source, records_source
    from engine.catalog.manage import create_category
    from engine.db.sql import fetchval
    from engine.settings import load_settings
    from engine.testing.checkout import migrate

    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    settings = load_settings(config_path="/dev/null", environ={}, database_url=url, secret_key="bench-" + "x" * 20,
                             logging={"level": "ERROR"})
    await migrate(settings)
    app = create_app(settings)
    async with app.test_app():
        runtime = app.runtime
        if int(await fetchval("SELECT COUNT(*) FROM catalog_products")) == 0:
            started = time.perf_counter()
            await create_category(runtime, {"slug": "shirts", "name": "Shirts"})
            report = await import_source(runtime, records_source(records(args.products)))
            assert report.written, report.errors[:3]
            print(f"imported {args.products:,} products in {time.perf_counter() - started:.1f}s")
        total = int(await fetchval("SELECT COUNT(*) FROM catalog_products"))
        print(f"{runtime.database.dialect}: {total:,} products; 50 a page, up to {args.pages} pages\n")
        print(f"{'scenario':<28} {'pages':>5} {'items':>7} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} "
              f"{'last ms':>8}")
        for name, filters in scenarios(total):
            timings, seen = await walk(filters, args.pages)
            p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 2 else max(timings)
            print(f"{name:<28} {len(timings):>5} {seen:>7,} {timings[0]:>9.1f} {statistics.median(timings):>10.1f} "
                  f"{p95:>8.1f} {timings[-1]:>8.1f}")
        await time_pages(app, args.requests, total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--requests", type=int, default=20, help="requests per HTTP page timed")
    parser.add_argument("--database-url", default=None, help="An empty (or previously benchmarked) database.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
