"""Add-to-cart and place-order throughput through the JSON API of a served app.

Builds a fresh database (SQLite in a temporary folder, or with ``--postgres``
a new database on the local PostgreSQL, dropped afterwards), creates
``--products`` one-variant products with plenty of stock, serves
``engine.asgi:app`` with Hypercorn (``--workers`` processes, uvloop) on
127.0.0.1, and drives it with an httpx client keeping ``--concurrency``
requests in flight for ``--seconds`` per phase:

- ``add-to-cart``: ``POST /api/v1/carts/<id>/lines`` (one unit of a random
  SKU into one of 200 carts), each answered with the re-priced cart;
- ``place-order``: ``POST /api/v1/carts/<id>/checkout`` with a fresh
  ``Idempotency-Key`` on carts filled beforehand (2 lines each), each a full
  order transaction: stock reservation, order, lines, payment record,
  timeline, outbox events; the manual payment starts after the commit.

Every answer must be 2xx. Reports requests/s, p50/p99 latency, and the CPU
the server used (in cores); the load generator shares the machine's CPUs, so
its CPU is reported too. E-mail is off (no SMTP host): the confirmation jobs
run in the server and only log. With ``--redis`` the jobs go to the local
Redis instead (a queue of its own) and ``--job-workers`` ``shopwright worker``
processes run them, as in production; their CPU is reported apart.

Usage: python bench/checkout.py [--postgres] [--redis] [--workers 1]
           [--job-workers 1] [--seconds 10] [--concurrency 16] [--products 50]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BenchDatabase, Hypercorn, JobWorkers, load_average, server_env, settings_for  # noqa: E402

REDIS_URL = os.environ.get("SHOPWRIGHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

ADDRESS = {"first_name": "Bench", "last_name": "Buyer", "line1": "Hauptstr. 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"}


async def seed(url: str, products: int) -> list[str]:
    from engine.testing.checkout import add_product
    from engine.runtime import Runtime

    runtime = Runtime(settings_for(url))
    await runtime.connect()
    await runtime.migrate(echo=lambda *_: None)
    await runtime.start(background=False, jobs=False)
    try:
        skus = []
        for n in range(products):
            sku = f"BENCH-{n:04d}"
            await add_product(runtime, sku, price=1000 + n, stock=1_000_000, slug=f"bench-{n}")
            skus.append(sku)
        return skus
    finally:
        await runtime.stop()


async def drive(name: str, seconds: float, concurrency: int, make_request, server: Hypercorn,
                jobs: JobWorkers | None = None) -> dict:
    """Keep ``concurrency`` requests in flight for ``seconds``; every answer must be 2xx."""
    latencies: list[float] = []
    failures: list[str] = []
    stop_at = time.monotonic() + seconds

    async def worker(index: int) -> None:
        n = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = await make_request(index, n)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                failures.append(f"{response.status_code} {response.text[:200]}")
            n += 1

    jobs_before = jobs.cpu_seconds() if jobs else 0.0
    cpu_before, own_before, wall = server.cpu_seconds(), os.times(), time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.monotonic() - wall
    own_after = os.times()
    if failures:
        raise SystemExit(f"{name}: {len(failures)} failed requests, e.g. {failures[0]}")
    ordered = sorted(latencies)
    return {
        "name": name, "requests": len(latencies), "rate": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000, "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "server_cpu": (server.cpu_seconds() - cpu_before) / elapsed,
        "jobs_cpu": ((jobs.cpu_seconds() - jobs_before) / elapsed) if jobs else None,
        "client_cpu": ((own_after.user + own_after.system) - (own_before.user + own_before.system)) / elapsed,
    }


async def run(args: argparse.Namespace, folder: Path, database: BenchDatabase) -> None:
    import httpx

    server = jobs = None
    try:
        skus = await seed(database.url, args.products)
        extra = {}
        if args.redis:
            extra = {"SHOPWRIGHT_REDIS_URL": REDIS_URL, "SHOPWRIGHT_JOBS__QUEUE_NAME": f"swbench:{uuid.uuid4().hex[:8]}"}
        env = server_env(database.url, **extra)
        server = Hypercorn("engine.asgi:app", env, args.workers, "uvloop", folder)
        if args.redis:
            jobs = JobWorkers(env, args.job_workers, folder)
        server.wait("/healthz")
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
            async def new_cart(lines: int) -> str:
                cart = (await client.post("/api/v1/carts")).json()["id"]
                for sku in random.sample(skus, lines):
                    response = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "quantity": 1})
                    response.raise_for_status()
                return cart

            carts = [await new_cart(0) for _ in range(200)]

            async def add_line(index: int, n: int):
                return await client.post(f"/api/v1/carts/{random.choice(carts)}/lines",
                                         json={"sku": random.choice(skus), "quantity": 1})

            await drive("warm-up", 2, args.concurrency, add_line, server)
            results = [await drive("add-to-cart", args.seconds, args.concurrency, add_line, server)]

            # filled carts for the order phase (not timed): enough for the whole run
            expected = int(max(results[0]["rate"], 1) * args.seconds) + 50
            filled = await asyncio.gather(*(new_cart(2) for _ in range(min(expected, 4000))))
            queue = iter(filled)

            async def place(index: int, n: int):
                cart = next(queue)
                body = {"email": f"bench{index}-{n}@example.test", "shipping_address": ADDRESS,
                        "shipping_method": "flat_rate:standard", "payment_method": "manual"}
                return await client.post(f"/api/v1/carts/{cart}/checkout", json=body,
                                         headers={"Idempotency-Key": uuid.uuid4().hex})

            results.append(await drive("place-order", args.seconds, args.concurrency, place, server, jobs))
        runner = f"jobs on Redis, {args.job_workers} worker process(es)" if args.redis else "jobs in the web process"
        print(f"{database.label}, {args.workers} Hypercorn worker(s), {runner}, {args.concurrency} in flight, "
              f"{args.seconds}s per phase, load average {load_average()}")
        for r in results:
            jobs_cpu = f" / jobs {r['jobs_cpu']:.2f}" if r.get("jobs_cpu") is not None else ""
            print(f"  {r['name']:<12} {r['rate']:>8.1f} req/s  p50 {r['p50']:>7.1f} ms  p99 {r['p99']:>7.1f} ms  "
                  f"({r['requests']} requests; cpu server {r['server_cpu']:.2f}{jobs_cpu} / client "
                  f"{r['client_cpu']:.2f})")
    finally:
        if server is not None:
            server.stop()
        if jobs is not None:
            jobs.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="Use a new database on the local PostgreSQL.")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", action="store_true", help="Queue jobs on the local Redis, run by worker processes.")
    parser.add_argument("--job-workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--products", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = BenchDatabase(Path(folder), args.postgres)
        database.create()
        try:
            asyncio.run(run(args, Path(folder), database))
        finally:
            database.drop()


if __name__ == "__main__":
    main()
