"""Deep pagination benchmark: search a 100,000-product catalog page by page.

Imports ``--products`` products (one variant each) into a fresh database, then
for each scenario (sorts, category with descendants, attribute, price and
stock filters, full-text search) follows ``next_cursor`` from the first page
for up to ``--pages`` pages, timing every page through ``search_products``
(backend query + summaries). A keyset cursor keeps the last pages as cheap as
the first; the OFFSET line shows what the same depth costs with OFFSET.

Usage: python bench/search_deep.py [--products 100000] [--pages 400] [--limit 24]
                                   [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_data import prepare_catalog, write_catalog_file  # noqa: E402

SCENARIOS = [
    ("newest", {}),
    ("price_asc", {"sort": "price_asc"}),
    ("price_desc", {"sort": "price_desc"}),
    ("category women (1/3)", {"category": "women", "sort": "price_asc"}),
    ("leaf category + in stock", {"category": "men-knitwear", "filters": {"in_stock": True}}),
    ("material=linen", {"filters": {"material": "linen"}, "sort": "price_desc"}),
    ("price 50-100 + colour", {"filters": {"min_price": 5000, "max_price": 10000, "colour": "Red"},
                               "sort": "price_asc"}),
    ("text 'linen' (relevance)", {"text": "linen"}),
    ("text 'wool shirt' by price", {"text": "wool shirt", "sort": "price_asc"}),
]


async def walk(runtime, limit: int, pages: int, **kwargs) -> tuple[list[float], int]:
    from engine.catalog.services import search_products
    from engine.protocols import SearchQuery

    timings, cursor, items_seen = [], None, 0
    for _ in range(pages):
        started = time.perf_counter()
        items, cursor = await search_products(runtime, SearchQuery(limit=limit, cursor=cursor, **kwargs))
        timings.append((time.perf_counter() - started) * 1000)
        items_seen += len(items)
        if cursor is None:
            break
    return timings, items_seen


async def run(args: argparse.Namespace, folder: Path) -> None:
    from engine.db.sql import fetch
    from engine.catalog.importer import import_products
    from engine.catalog.tables import Product
    from engine.runtime import Runtime
    from engine.settings import load_settings

    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    settings = load_settings(config_path="/dev/null", environ={}, database_url=url, secret_key="bench-" + "x" * 20,
                             logging={"level": "ERROR"})
    runtime = Runtime(settings)
    await runtime.connect()
    await runtime.migrate(echo=lambda *_: None)
    await runtime.start(background=False, jobs=False)
    try:
        if await Product.count().run() == 0:
            await prepare_catalog(runtime)
            path = folder / "catalog.csv"
            write_catalog_file(path, args.products, "csv", per_product=1)
            report = await import_products(runtime, path, batch_size=10_000)
            assert report.ok, report.errors[:3]
            print(f"imported {report.products:,} products in {report.seconds:.1f}s")
        total = await Product.count().run()
        print(f"{runtime.database.dialect}: {total:,} products; page size {args.limit}, up to {args.pages} pages\n")
        print(f"{'scenario':<28} {'pages':>5} {'items':>7} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} "
              f"{'last ms':>8}")
        for name, kwargs in SCENARIOS:
            timings, seen = await walk(runtime, args.limit, args.pages, **kwargs)
            p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 2 else max(timings)
            print(f"{name:<28} {len(timings):>5} {seen:>7,} {timings[0]:>9.1f} {statistics.median(timings):>10.1f} "
                  f"{p95:>8.1f} {timings[-1]:>8.1f}")
        depth = args.limit * (args.pages - 1)
        started = time.perf_counter()
        await fetch("SELECT id FROM catalog_products WHERE status = 'published' AND price_min IS NOT NULL "
                    "ORDER BY price_min, id LIMIT {} OFFSET {}", args.limit, depth)
        offset_ms = (time.perf_counter() - started) * 1000
        print(f"\nfor comparison, OFFSET {depth:,} on price_asc (ids only): {offset_ms:.1f} ms")
    finally:
        await runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--limit", type=int, default=24)
    parser.add_argument("--database-url", default=None, help="An empty (or previously benchmarked) database.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
