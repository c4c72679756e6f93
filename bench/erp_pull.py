"""ERP pull benchmark: a full pull of N products (one variant each, with
stock) from the stand-in Odoo JSON-RPC server of the erp_sync plugin's tests
(a real HTTP server on 127.0.0.1), into a fresh shop; then an incremental
pull after 1% of the products changed. Prints rows/s and the process's peak
RSS (the stand-in server runs in a thread of this process, so its memory is
included: the figure is an upper bound for the shop's side).

Usage: python bench/erp_pull.py [--products 10000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins" / "erp_sync" / "tests"))

from odoo_standin import OdooStandIn  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(args: argparse.Namespace, folder: Path) -> None:
    from engine import sdk
    from engine.runtime import Runtime
    from engine.settings import load_settings
    from shopwright_erp_sync import plugin, sync

    odoo = OdooStandIn()
    url = odoo.start()
    ids = [odoo.add_product(f"Product {index}", f"SKU-{index:06d}", price=round(1 + index * 0.01, 2),
                            on_hand=index % 50) for index in range(args.products)]
    database_url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    settings = load_settings(config_path="/dev/null", environ={}, database_url=database_url,
                             secret_key="bench-" + "x" * 20, logging={"level": "ERROR"})
    runtime = Runtime(settings, plugins=[plugin])
    await runtime.connect()
    await runtime.migrate(echo=lambda *_: None, only_enabled=False)
    await runtime.start(background=False, jobs=False)
    try:
        await runtime.host.enable("erp_sync")
        await runtime.host.configure("erp_sync", {"url": url, "db": "shop", "username": "sync@example.com",
                                                  "password": "secret"})
        before = peak_rss_mb()
        for label in ("full pull", "incremental (1% changed)"):
            if label.startswith("incremental"):
                for template, variant in ids[:: 100]:
                    odoo.touch("product.product", variant, lst_price=99.5)
            connector = sync.connector_for(runtime, sdk.plugin_settings(runtime, "erp_sync"))
            started = time.perf_counter()
            fetch_seconds = 0.0
            pull_from_erp = connector.pull

            async def timed_pull(cursor):
                nonlocal fetch_seconds
                begun = time.perf_counter()
                try:
                    return await pull_from_erp(cursor)
                finally:
                    fetch_seconds += time.perf_counter() - begun

            connector.pull = timed_pull
            try:
                summary = await sync.pull(runtime, connector)
            finally:
                await connector.aclose()
            seconds = time.perf_counter() - started
            print(f"{label}: {summary['products']:,} products, {summary['stock_changed']:,} stock changes "
                  f"in {seconds:.2f}s = {summary['variants'] / seconds:,.0f} rows/s "
                  f"(reading from the ERP {fetch_seconds:.2f}s, writing the shop {seconds - fetch_seconds:.2f}s: "
                  f"{summary['variants'] / max(seconds - fetch_seconds, 1e-9):,.0f} rows/s)")
        print(f"peak RSS {peak_rss_mb():.0f} MB (after start-up and the stand-in's data: {before:.0f} MB)")
    finally:
        await runtime.stop()
        odoo.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
