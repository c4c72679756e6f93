"""Catalog reads at scale, timed in process (no HTTP load generator).

Builds (once, then reuses) a generated catalog of ``--products`` products
(four variants each, :mod:`catalog_data`) in a SQLite file or a PostgreSQL
database, then prints, for that database:

- facets of each root category (the facet service alone), median and max;
- the first view of a root category after a catalog write: a product is
  saved, then ``GET /c/<root>`` through the app with its caches on (so the
  page, its facets and its listing are computed afresh);
- random-filter category pages: a random category, zero to three random
  filters (colour, size, material) and a random sort, as the page's service
  calls (facets + listing) with no cache;
- relevance search for varied words (no cache);
- on PostgreSQL with ``--explain``, EXPLAIN ANALYZE of the root-category
  facet and listing statements.

Usage::

    python bench/catalog_reads.py [--postgres] [--products 100000] [--runs 200] [--explain]

The catalog stays (``/tmp/shopwright-bench-reads-<n>.sqlite`` or database
``shopwright_bench_reads_<n>``) so that the same catalog can be measured by
another checkout of the engine: run this file with ``PYTHONPATH=<checkout>``
to time that checkout's code on it (``--sorts`` then limits the sorts to the
ones it knows). ``--drop`` removes it.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_data import COLOURS, MATERIALS, SIZES, category_slugs  # noqa: E402
from harness import build_catalog, settings_for  # noqa: E402

WORDS = ["shirt", "jacket", "linen", "wool", "cotton", "slim", "summer", "winter", "vintage", "hat", "coat",
         "striped", "plain", "organic", "waterproof", "cosy", "dress", "scarf", "made", "item"]


def catalog_url(postgres: bool, products: int) -> str:
    if postgres:
        base = os.environ.get("SHOPWRIGHT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
        return f"{base}/shopwright_bench_reads_{products}"
    return f"sqlite:////tmp/shopwright-bench-reads-{products}.sqlite"


async def admin(sql: str) -> None:
    import asyncpg

    base = os.environ.get("SHOPWRIGHT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    connection = await asyncpg.connect(f"{base}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def ensure_catalog(postgres: bool, products: int) -> str:
    url = catalog_url(postgres, products)
    if postgres:
        name = url.rsplit("/", 1)[1]
        try:
            await admin(f'CREATE DATABASE "{name}"')
        except Exception:  # already there: reuse it
            return url
    elif Path(url[len("sqlite:///"):]).exists():
        return url
    await build_catalog(url, products)
    return url


def timed(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"


async def measure(url: str, runs: int, sorts: list[str], explain: bool) -> None:
    from engine.app import create_app
    from engine.catalog import services
    from engine.db.sql import fetch
    from engine.protocols import SearchQuery

    app = create_app(settings_for(url))
    rng = random.Random(11)
    roots = [slug for slug, parent in category_slugs() if parent is None]
    categories = [slug for slug, _ in category_slugs()]
    async with app.test_app() as test_app:
        runtime = app.runtime
        client = test_app.test_client()
        count = (await fetch("SELECT COUNT(*) AS n FROM catalog_products"))[0]["n"]
        print(f"{runtime.database.dialect}: {count} products")

        samples = []
        for index in range(max(runs // 10, 5) * len(roots)):
            started = time.perf_counter()
            await services.facets(roots[index % len(roots)])
            samples.append((time.perf_counter() - started) * 1000)
        print(f"facets of a root category           {timed(samples)}")

        samples = []
        product = await services.get_product((await fetch(
            "SELECT slug FROM catalog_products WHERE status = 'published' ORDER BY id DESC LIMIT 1"))[0]["slug"],
            include_drafts=True)
        for index in range(max(runs // 20, 5)):
            from engine.catalog.manage import set_price

            await set_price(runtime, product["variants"][0]["sku"], 1000 + index)
            root = roots[index % len(roots)]
            started = time.perf_counter()
            response = await client.get(f"/c/{root}")
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        print(f"first view of a root after a write  {timed(samples)}")

        samples = []
        for _ in range(runs):
            category = rng.choice(categories)
            filters = {}
            for name, values in (("colour", COLOURS), ("size", SIZES), ("material", MATERIALS)):
                if rng.random() < 0.4:
                    filters[name] = [rng.choice(values)]
            started = time.perf_counter()
            await services.facets(category)
            await services.search_products(runtime, SearchQuery(category=category, filters=filters,
                                                                sort=rng.choice(sorts), limit=24))
            samples.append((time.perf_counter() - started) * 1000)
        print(f"random-filter category page (data)  {timed(samples)}")

        samples = []
        for _ in range(runs):
            text = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2))))
            started = time.perf_counter()
            await services.search_products(runtime, SearchQuery(text=text, sort="relevance", limit=24))
            samples.append((time.perf_counter() - started) * 1000)
        print(f"relevance search, varied words      {timed(samples)}")

        if explain and runtime.database.dialect == "postgres":
            root_id = (await fetch("SELECT id FROM catalog_categories WHERE slug = {}", roots[0]))[0]["id"]
            for label, sql in (
                ("facet counts", "SELECT name, value, products FROM catalog_facet_counts WHERE category = {} "
                                 "AND kind = 'option' AND products > 0 ORDER BY name, value"),
                ("listing by price", "SELECT l.product FROM catalog_listing l WHERE l.category = {} AND EXISTS "
                                     "(SELECT 1 FROM catalog_product_facets f WHERE f.product = l.product "
                                     "AND f.kind = 'option' AND f.name = 'colour' AND f.value IN ('Red')) "
                                     "ORDER BY l.price_min, l.product LIMIT 25"),
            ):
                plan = await fetch("EXPLAIN ANALYZE " + sql, root_id)
                print(f"-- {label}")
                for row in plan:
                    print("   ", next(iter(row.values())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sorts", default="relevance,newest,price_asc,price_desc,name_asc")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()
    if args.drop:
        url = catalog_url(args.postgres, args.products)
        if args.postgres:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        else:
            Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
        return
    url = asyncio.run(ensure_catalog(args.postgres, args.products))
    asyncio.run(measure(url, args.runs, args.sorts.split(","), args.explain))


if __name__ == "__main__":
    main()
