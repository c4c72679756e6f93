"""The admin's reports and customer list with a big history.

Fills a fresh SQLite database (or with ``--postgres`` a new database on the
local PostgreSQL, dropped afterwards) like ``bench/admin_dashboard.py``
(``--orders`` orders over ``--days`` days, about 2 lines each) plus
``--customers`` customer accounts, signs an owner in and times, in-process,
``--requests`` requests after one warm-up of: every report of
``/admin/reports`` over the last 30 and 365 days, the sales CSV of a year by
month, and ``/admin/customers`` (first page, a deep cursor page, a search).
Prints the median and p95 in ms.

Usage: python bench/admin_reports.py [--postgres] [--orders 100000] [--customers 50000] [--requests 10]
"""
from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from admin_dashboard import _fill  # noqa: E402
from harness import BenchDatabase, load_average, settings_for  # noqa: E402

REPORTS = ("sales", "products", "categories", "payment_methods", "shipping_methods", "refunds", "taxes")


async def _customers(count: int) -> None:
    from engine.db.sql import fetch, write_transaction

    now = datetime.now(timezone.utc)
    for start in range(0, count, 2000):
        async with write_transaction():
            for n in range(start, min(start + 2000, count)):
                await fetch("INSERT INTO customers (email, password_hash, name, active, created_at) "
                            "VALUES ({}, '', {}, {}, {})", f"customer{n}@example.test", f"Customer Number{n}", True,
                            now)


async def _time(client, path: str, requests: int) -> tuple[float, float]:
    assert (await client.get(path)).status_code == 200, path
    timings = []
    for _ in range(requests):
        began = time.perf_counter()
        response = await client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, path
    timings.sort()
    return statistics.median(timings), timings[max(int(len(timings) * 0.95) - 1, 0)]


async def run(url: str, args: argparse.Namespace) -> tuple[float, list[tuple[str, float, float]]]:
    from engine.app import create_app
    from engine.testing.admin import staff_client
    from engine.testing.checkout import migrate

    settings = settings_for(url)
    await migrate(settings)
    app = create_app(settings)
    results = []
    async with app.test_app():
        began = time.perf_counter()
        await _fill(args.orders, args.products, args.days)
        await _customers(args.customers)
        if url.startswith("postgres"):
            from engine.db.sql import fetch
            await fetch("ANALYZE")
        filled = time.perf_counter() - began
        client = await staff_client(app)
        today = datetime.now(timezone.utc).date()
        for days in (30, 365):
            span = f"from={today - timedelta(days=days - 1)}&to={today}"
            for report in REPORTS:
                path = f"/admin/reports?report={report}&{span}"
                results.append((path, *await _time(client, path, args.requests)))
        path = f"/admin/reports/sales.csv?from={today - timedelta(days=364)}&to={today}&grain=month"
        results.append((path, *await _time(client, path, args.requests)))
        results.append(("/admin/customers", *await _time(client, "/admin/customers", args.requests)))
        page = await (await client.get("/admin/customers")).get_data(as_text=True)
        for _ in range(20):
            next_url = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
            page = await (await client.get(next_url)).get_data(as_text=True)
        results.append(("/admin/customers?cursor=… (page 21)", *await _time(client, next_url, args.requests)))
        results.append(("/admin/customers?q=number4242", *await _time(client, "/admin/customers?q=number4242",
                                                                        args.requests)))
    return filled, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = BenchDatabase(Path(folder), args.postgres)
        database.create()
        try:
            filled, results = asyncio.run(run(database.url, args))
        finally:
            database.drop()
    print(f"database: {database.label}  orders: {args.orders:,}  customers: {args.customers:,} "
          f"(written in {filled:.1f} s)  load: {load_average()}")
    for path, median, p95 in results:
        print(f"GET {path}: median {median:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
