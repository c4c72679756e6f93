"""The admin dashboard with a big order history.

Builds a fresh SQLite database (or with ``--postgres`` a new database on the
local PostgreSQL, dropped afterwards), migrates it, writes ``--orders``
orders (default 100,000; spread over the last ``--days`` days, about 2 lines
each, 80 % of them paid) and ``--products`` products straight into the
tables, then signs a staff member in and times ``GET /admin`` (sales of
today / 7 / 30 days, the 30-day chart, top products, low stock) in-process,
``--requests`` times after one warm-up. Prints the median and p95 in ms.

Usage: python bench/admin_dashboard.py [--postgres] [--orders 100000] [--requests 20]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BenchDatabase, load_average, settings_for  # noqa: E402

STATUSES = ["paid"] * 6 + ["fulfilled", "completed", "pending_payment", "cancelled"]


async def _fill(orders: int, products: int, days: int) -> None:
    from engine.db.sql import fetch, write_transaction

    rng = random.Random(7)
    catalog = [(n + 1, f"SKU-{n:05d}", f"Product {n}") for n in range(products)]
    now = datetime.now(timezone.utc)
    batch = 2000
    for start in range(0, orders, batch):
        async with write_transaction():
            for i in range(start, min(start + batch, orders)):
                placed = now - timedelta(seconds=rng.randrange(days * 86400))
                status = rng.choice(STATUSES)
                total = rng.randrange(1000, 30000)
                row = await fetch(
                    "INSERT INTO orders (number, status, email, token_salt, currency, subtotal, total, paid_amount, "
                    "placed_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
                    f"B{i + 1}", status, f"shopper{i % 5000}@example.test", "salt", "EUR", total, total,
                    0 if status == "pending_payment" else total, placed, placed)
                for position in range(rng.choice([1, 2, 3])):
                    product, sku, title = rng.choice(catalog)
                    await fetch(
                        "INSERT INTO order_lines (order_id, sku, product_id, title, quantity, unit_price, subtotal, "
                        "total, position) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
                        row[0]["id"], sku, product, title, 1, total // 3, total // 3, total // 3, position)


async def _breakdown() -> None:
    """Each read the dashboard makes, timed alone (median of 5, ms)."""
    from engine.catalog import services as catalog
    from engine.db.sql import reading
    from engine.orders import reports

    now = datetime.now(timezone.utc)
    for name, call in (("periods", lambda: reports.periods("EUR", now)),
                       ("daily_revenue", lambda: reports.daily_revenue("EUR", now)),
                       ("top_products", lambda: reports.top_products("EUR", now)),
                       ("low_stock", lambda: catalog.low_stock())):
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            async with reading():
                await call()
            timings.append((time.perf_counter() - began) * 1000)
        print(f"  {name}: {statistics.median(timings):.1f} ms")


async def run(url: str, args: argparse.Namespace) -> tuple[float, list[float]]:
    from engine.app import create_app
    from engine.testing.admin import staff_client
    from engine.testing.checkout import migrate

    settings = settings_for(url)
    await migrate(settings)
    app = create_app(settings)
    async with app.test_app():
        began = time.perf_counter()
        await _fill(args.orders, args.products, args.days)
        filled = time.perf_counter() - began
        await _breakdown()
        client = await staff_client(app)
        assert (await client.get("/admin")).status_code == 200
        timings = []
        for _ in range(args.requests):
            began = time.perf_counter()
            response = await client.get("/admin")
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
    return filled, sorted(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = BenchDatabase(Path(folder), args.postgres)
        database.create()
        try:
            filled, timings = asyncio.run(run(database.url, args))
        finally:
            database.drop()
    print(f"database: {database.label}  orders: {args.orders:,} (written in {filled:.1f} s)  load: {load_average()}")
    print(f"GET /admin (dashboard): median {statistics.median(timings):.1f} ms, "
          f"p95 {timings[max(int(len(timings) * 0.95) - 1, 0)]:.1f} ms over {len(timings)} requests")


if __name__ == "__main__":
    main()
