"""Storefront and API throughput beside a bare Quart endpoint, in one run.

Builds a fresh database (SQLite in a temporary folder, or with ``--postgres``
a new database on the local PostgreSQL, dropped afterwards), imports the
synthetic catalog (10,000 products, 4 variants each) through the catalog
importer, then serves ``engine.asgi:app`` and ``bench/bare_quart.py`` with the
same Hypercorn command line and drives each page with ``wrk``:

- ``category``: ``/c/women`` (24 of ~3,300 products, facets, sorting), no session
- ``product``: a product page, no session
- ``api``: ``GET /api/v1/products`` (24 items, cursor pagination)
- ``cart``: ``/cart`` with 3 lines, with the shopper's session cookie (only when
  the storefront's add-to-cart form works): a shopper reloading the page, which
  the cart page cache answers while nothing it shows changed (``--no-cache``
  prices and renders every view)

The bare endpoint is measured before and after the pages; ratios use the
mean of the two. Each line also gives the CPU the server and wrk used (in
cores), so the split of the 2 CPUs is visible. ``--no-cache`` turns the
engine's caches off (``SHOPWRIGHT_CACHE__ENABLED=false``) to measure the
render path itself.

Usage: python bench/pages.py [--postgres] [--workers 1] [--seconds 10]
           [--connections 16] [--threads 1] [--pages category,product,api,cart]
           [--no-cache] [--products 10000]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (BenchDatabase, Hypercorn, build_catalog, load_average, measure,  # noqa: E402
                     print_results, server_env)

PAGES = ("category", "product", "api", "cart")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(message)


def prepare_pages(base: str, wanted: list[str]) -> dict[str, tuple[str, dict[str, str]]]:
    """``{label: (path, headers)}`` for the pages to measure, each checked once."""
    import httpx

    pages: dict[str, tuple[str, dict[str, str]]] = {}
    listing = httpx.get(base + "/api/v1/products", timeout=10).json()
    _check(len(listing["items"]) == 24 and listing["next_cursor"], "GET /api/v1/products did not list 24 items")
    if "category" in wanted:
        body = httpx.get(base + "/c/women", timeout=10).text
        cards = body.count('class="product-card"')
        _check(cards == 24, f"/c/women shows {cards} products, expected 24")
        pages["category"] = ("/c/women", {})
    if "product" in wanted:
        slug = listing["items"][0]["slug"]
        _check(httpx.get(f"{base}/p/{slug}", timeout=10).status_code == 200, f"/p/{slug} failed")
        pages["product"] = (f"/p/{slug}", {})
    if "api" in wanted:
        pages["api"] = ("/api/v1/products", {})
    if "cart" in wanted:
        cookie = _cart_session(base, [item["slug"] for item in listing["items"][:3]])
        if cookie is None:
            print("cart: skipped (the storefront cannot add to a cart yet)")
        else:
            pages["cart"] = ("/cart", {"Cookie": cookie})
    return pages


def _cart_session(base: str, slugs: list[str]) -> str | None:
    """Add one variant of each product through the storefront's own form;
    the session cookie header, or None when adding is not possible."""
    import httpx

    with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as client:
        titles = []
        for slug in slugs:
            product = client.get(f"/api/v1/products/{slug}").json()
            variant = next(v for v in product["variants"] if v["in_stock"])
            page = client.get(f"/p/{slug}").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            if token is None:
                return None
            response = client.post("/cart", data={"sku": variant["sku"], "quantity": "1",
                                                  "csrf_token": token.group(1)})
            if response.status_code >= 400:
                return None
            titles.append(product["title"])
        page = client.get("/cart").text
        if not all(title in page for title in titles):
            return None
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-class", default="uvloop", choices=["uvloop", "asyncio"])
    parser.add_argument("--postgres", action="store_true", help="use a fresh database on the local PostgreSQL")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--no-cache", action="store_true", help="turn the engine's caches off")
    args = parser.parse_args()
    if args.seconds > 120 or args.connections > 256 or args.workers > 8:
        raise SystemExit("keep the run bounded: --seconds <= 120, --connections <= 256, --workers <= 8")
    wanted = [page for page in args.pages.split(",") if page]
    unknown = set(wanted) - set(PAGES)
    if unknown:
        raise SystemExit(f"unknown pages: {', '.join(sorted(unknown))}")

    folder = Path(tempfile.mkdtemp(prefix="shopwright-bench-"))
    database = BenchDatabase(folder, args.postgres)
    servers: list[Hypercorn] = []
    try:
        database.create()
        asyncio.run(build_catalog(database.url, args.products))
        extra = {"SHOPWRIGHT_CACHE__ENABLED": "false"} if args.no_cache else {}
        env = server_env(database.url, **extra)
        load = dict(seconds=args.seconds, connections=args.connections, threads=args.threads)
        print(f"machine: {os.cpu_count()} CPU(s), load average {load_average()} before the run")
        bare = Hypercorn("bare_quart:app", env, args.workers, args.worker_class, folder)
        servers.append(bare)
        bare.wait("/bare")
        results = {"bare Quart (before)": measure(bare.url + "/bare", server=bare, **load)}
        bare.stop()

        shop = Hypercorn("engine.asgi:app", env, args.workers, args.worker_class, folder)
        servers.append(shop)
        shop.wait("/healthz")
        for label, (path, headers) in prepare_pages(shop.url, wanted).items():
            results[label] = measure(shop.url + path, headers=headers, server=shop, **load)
        rss = shop.rss_mb()
        shop.stop()

        bare = Hypercorn("bare_quart:app", env, args.workers, args.worker_class, folder)
        servers.append(bare)
        bare.wait("/bare")
        results["bare Quart (after)"] = measure(bare.url + "/bare", server=bare, **load)
        bare.stop()

        print(f"hypercorn: {args.workers} worker(s), {args.worker_class}, keep-alive 60; wrk -t{args.threads} "
              f"-c{args.connections} -d{args.seconds}s (after a 2 s warm-up); database: {database.label}; "
              f"caches: {'off' if args.no_cache else 'on'}; load average {load_average()} after the run")
        print_results(results)
        if rss:
            print(f"worker RSS after the run: {', '.join(f'{size:.0f} MB' for size in rss)}")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        database.drop()


if __name__ == "__main__":
    main()
