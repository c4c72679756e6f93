"""Request throughput with tracing off and on ([tracing], engine/tracing.py).

Builds a fresh database (SQLite in a temporary folder, or with ``--postgres``
a new database on the local PostgreSQL, dropped afterwards) with a small
synthetic catalog, then serves ``engine.asgi:app`` three times with the same
Hypercorn command line and drives the same requests with ``wrk``:

- ``off``: the default (``SHOPWRIGHT_TRACING__ENABLED`` unset);
- ``on``: ``SHOPWRIGHT_TRACING__ENABLED=1`` with ``otlp_endpoint`` empty:
  every span is made (request, hooks, SQL) and dropped at the end — the
  in-process cost without the exporter's;
- ``on + export``: spans exported over OTLP/HTTP in batches to a local sink
  (a plain HTTP server in this script that answers 200 to every POST).

Requests: ``api`` (``GET /api/v1/products/<slug>`` with the caches off:
routing, hooks and SQL on every request — the worst case for tracing) and
``cached`` (``GET /api/v1/products``, caches on: the fast path's answer, a
request span only). The API's per-IP rate limit is off
(``SHOPWRIGHT_API__RATE_LIMIT_PER_IP=0``, see harness.server_env).

Usage: python bench/tracing_overhead.py [--postgres] [--seconds 8] [--connections 16] [--products 200]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BenchDatabase, Hypercorn, build_catalog, load_average, measure, server_env  # noqa: E402


class _Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector stand-in: reads the batch, answers 200."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.seconds > 60 or args.connections > 128 or args.workers > 4 or args.products > 10_000:
        raise SystemExit("keep the run bounded: --seconds <= 60, --connections <= 128, --workers <= 4")

    collector = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}/v1/traces"
    folder = Path(tempfile.mkdtemp(prefix="shopwright-bench-"))
    database = BenchDatabase(folder, args.postgres)
    servers: list[Hypercorn] = []
    modes = {
        "off": {},
        "on": {"SHOPWRIGHT_TRACING__ENABLED": "1", "SHOPWRIGHT_TRACING__OTLP_ENDPOINT": ""},
        "on + export": {"SHOPWRIGHT_TRACING__ENABLED": "1", "SHOPWRIGHT_TRACING__OTLP_ENDPOINT": endpoint},
    }
    try:
        database.create()
        asyncio.run(build_catalog(database.url, args.products))
        load = dict(seconds=args.seconds, connections=args.connections)
        print(f"machine: {os.cpu_count()} CPU(s), load average {load_average()} before the run")
        rates: dict[tuple[str, str], float] = {}
        for mode, extra in modes.items():
            for request, caches in (("api", "false"), ("cached", "true")):
                env = server_env(database.url, SHOPWRIGHT_CACHE__ENABLED=caches, **extra)
                shop = Hypercorn("engine.asgi:app", env, args.workers, "uvloop", folder)
                servers.append(shop)
                shop.wait("/healthz")
                import httpx

                slug = httpx.get(shop.url + "/api/v1/products", timeout=10).json()["items"][0]["slug"]
                path = f"/api/v1/products/{slug}" if request == "api" else "/api/v1/products"
                result = measure(shop.url + path, server=shop, **load)
                rates[(mode, request)] = result.rate
                shop.stop()
                print(f"{request:<7} tracing {mode:<12} {result.describe()}")
        for request in ("api", "cached"):
            off = rates[("off", request)]
            print(f"{request:<7} on/off {rates[('on', request)] / off:.3f}   "
                  f"on + export/off {rates[('on + export', request)] / off:.3f}")
        print(f"hypercorn: {args.workers} worker(s), uvloop; wrk -t1 -c{args.connections} -d{args.seconds}s "
              f"(after a 2 s warm-up); database: {database.label}; load average {load_average()} after the run")
    finally:
        for server in servers:
            server.stop()
        collector.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
        database.drop()


if __name__ == "__main__":
    main()
