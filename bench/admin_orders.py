"""The admin's order list with many orders: time ``find_orders`` (the query
behind ``/admin/orders``) for its filters and searches, first page and deep.

Writes ``--orders`` orders (two lines and one payment each; 1 in 50 shipped
in part, 3 in 5 paid, 1 in 10 cancelled; names from a small list, one rare)
straight into a fresh database, then times each scenario's first page and,
following ``next_cursor``, up to ``--pages`` pages. A keyset cursor keeps the
last pages as cheap as the first. Then times the HTTP pages in-process (a signed-in
owner; the list first, filtered, searched and 40 pages deep, and one order page).

Usage: python bench/admin_orders.py [--orders 100000] [--pages 40] [--requests 20] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

NAMES = [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson"),
         ("Edsger", "Dijkstra"), ("Barbara", "Liskov"), ("Donald", "Knuth"), ("Frances", "Allen")]
RARE = ("Margaret", "Hamilton")  # one order in 5,000


def scenarios(total: int):
    from engine.orders.listing import OrderFilters

    middle = date(2026, 1, 1) + timedelta(seconds=total * 43 // 2)  # orders are 43 s apart
    return [
        ("newest", OrderFilters()),
        ("status=paid", OrderFilters(status="paid")),
        ("payment=pending", OrderFilters(payment="pending")),
        ("fulfillment=partial (2 %)", OrderFilters(fulfillment="partial")),
        ("one week", OrderFilters(placed_from=middle, placed_to=middle + timedelta(days=6))),
        ("q=e-mail (exact)", OrderFilters(query=f"shopper{total // 2}@example.test")),
        ("q=number", OrderFilters(query=str(1000 + total // 3))),
        ("q=name (1 in 8)", OrderFilters(query="grace hopper")),
        ("q=name (1 in 5,000)", OrderFilters(query="hamilton")),
        ("paid + unfulfilled", OrderFilters(payment="paid", fulfillment="unfulfilled")),
        ("payment=failed (none: worst)", OrderFilters(payment="failed")),
        ("fulfillment=fulfilled (none)", OrderFilters(fulfillment="fulfilled")),
    ]


async def seed(total: int) -> None:
    from engine.db.sql import engine

    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = 5000
    db = engine()
    for first in range(1, total + 1, batch):
        orders, lines, payments = [], [], []
        for i in range(first, min(first + batch, total + 1)):
            first_name, last_name = RARE if i % 5000 == 0 else NAMES[i % len(NAMES)]
            address = json.dumps({"first_name": first_name, "last_name": last_name, "line1": "Street 1",
                                  "city": "Berlin", "postal_code": "10117", "country": "DE"})
            status = "cancelled" if i % 10 == 0 else ("paid" if i % 5 < 3 else "pending_payment")
            placed = start + timedelta(seconds=i * 43)
            orders.append((i, str(1000 + i), status, f"shopper{i}@example.test", f"salt{i}", "EUR", 5000, 5490,
                           address, address, placed, placed))
            shipped = 1 if i % 50 == 0 else 0
            lines.append((i, "TEE-1", "Tee", 1, 2500, 2500, 2500, shipped, 0))
            lines.append((i, "MUG-1", "Mug", 1, 2500, 2500, 2500, 0, 1))
            payments.append((i, "manual", "core_payments", "paid" if status == "paid" else "pending", 5490, "EUR",
                             placed, placed))
        async with db.transaction():
            await _many("INSERT INTO orders (id, number, status, email, token_salt, currency, subtotal, total, "
                        "shipping_address, billing_address, placed_at, updated_at) VALUES ", orders)
            await _many("INSERT INTO order_lines (order_id, sku, title, quantity, unit_price, subtotal, total, "
                        "fulfilled_quantity, position) VALUES ", lines)
            await _many("INSERT INTO payments (order_id, gateway, plugin, status, amount, currency, created_at, "
                        "updated_at) VALUES ", payments)


async def _many(head: str, rows: list[tuple]) -> None:
    from engine.db.sql import fetch

    for chunk in range(0, len(rows), 500):
        part = rows[chunk:chunk + 500]
        width = len(part[0])
        values = ", ".join("(" + ", ".join("{}" for _ in range(width)) + ")" for _ in part)
        await fetch(head + values, *[value for row in part for value in row])


async def walk(filters, pages: int) -> tuple[list[float], int]:
    from engine.orders.listing import find_orders

    timings, cursor, seen = [], None, 0
    for _ in range(pages):
        started = time.perf_counter()
        found = await find_orders(filters, cursor, 50)
        timings.append((time.perf_counter() - started) * 1000)
        seen += len(found["items"])
        cursor = found["next_cursor"]
        if cursor is None:
            break
    return timings, seen


PAGES = [("GET /admin/orders", "/admin/orders"), ("GET /admin/orders?payment=paid", "/admin/orders?payment=paid"),
         ("GET /admin/orders?q=grace+hopper", "/admin/orders?q=grace+hopper")]


async def time_pages(app, total: int, requests: int) -> None:
    """The HTTP pages in-process (staff session, rendering), median and p95."""
    from engine.testing.admin import staff_client

    client = await staff_client(app)
    deep = (await find_cursor(40))
    pages = [*PAGES, ("GET /admin/orders (page 41)", f"/admin/orders?cursor={deep}"),
             ("GET /admin/orders/<number>", f"/admin/orders/{1000 + total // 2}")]
    print(f"\n{'page':<36} {'median ms':>10} {'p95 ms':>8}")
    for label, path in pages:
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        timings.sort()
        print(f"{label:<36} {statistics.median(timings):>10.1f} {timings[max(int(len(timings) * 0.95) - 1, 0)]:>8.1f}")


async def find_cursor(pages: int) -> str:
    from engine.orders.listing import OrderFilters, find_orders

    cursor = None
    for _ in range(pages):
        cursor = (await find_orders(OrderFilters(), cursor, 50))["next_cursor"]
    return cursor


async def run(args: argparse.Namespace, folder: Path) -> None:
    from engine.app import create_app
    from engine.db.sql import fetchone
    from engine.settings import load_settings
    from engine.testing.checkout import migrate

    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    settings = load_settings(config_path="/dev/null", environ={}, database_url=url, secret_key="bench-" + "x" * 20,
                             logging={"level": "ERROR"})
    await migrate(settings)
    app = create_app(settings)
    async with app.test_app():
        runtime = app.runtime
        if int((await fetchone("SELECT COUNT(*) AS n FROM orders"))["n"]) == 0:
            started = time.perf_counter()
            await seed(args.orders)
            if runtime.database.dialect == "postgres":
                await fetchone("ANALYZE")  # what autovacuum does after a bulk load
            print(f"wrote {args.orders:,} orders in {time.perf_counter() - started:.1f}s")
        total = int((await fetchone("SELECT COUNT(*) AS n FROM orders"))["n"])
        print(f"{runtime.database.dialect}: {total:,} orders; 50 a page, up to {args.pages} pages\n")
        print(f"{'scenario':<28} {'pages':>5} {'items':>7} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} "
              f"{'last ms':>8}")
        for name, filters in scenarios(total):
            timings, seen = await walk(filters, args.pages)
            p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 2 else max(timings)
            print(f"{name:<28} {len(timings):>5} {seen:>7,} {timings[0]:>9.1f} {statistics.median(timings):>10.1f} "
                  f"{p95:>8.1f} {timings[-1]:>8.1f}")
        await time_pages(app, total, args.requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--requests", type=int, default=20, help="requests per HTTP page timed")
    parser.add_argument("--database-url", default=None, help="An empty (or previously benchmarked) database.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
