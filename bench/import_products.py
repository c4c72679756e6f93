"""Import benchmark: generate a catalog file, import it, print rows/s.

Builds a fresh database (SQLite in a temporary folder unless
``--database-url`` is given), migrates it, creates the categories and
attributes the file refers to, then times ``import_products`` on the file:
first import, then the same file again (idempotent upserts).

Usage: python bench/import_products.py [--variants 100000] [--format csv|jsonl]
                                       [--database-url URL] [--batch-size 5000]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_data import prepare_catalog, write_catalog_file  # noqa: E402


async def run(args: argparse.Namespace, folder: Path) -> None:
    from engine.catalog.tables import Product, Variant
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
        if await Product.count().run():
            sys.exit("the database already has products: give an empty one")
        await prepare_catalog(runtime)
        path = folder / f"catalog.{args.format}"
        started = time.perf_counter()
        rows = write_catalog_file(path, args.variants, args.format)
        print(f"generated {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f}s")
        from engine.catalog.importer import import_products

        for label in ("first import", "re-import (no changes)"):
            report = await import_products(runtime, path, args.format, batch_size=args.batch_size)
            assert report.ok and report.written, report.errors[:5]
            print(f"{label}: {report.rows:,} rows, {report.products:,} products in {report.seconds:.2f}s "
                  f"= {report.rows / report.seconds:,.0f} rows/s ({runtime.database.dialect}, {args.format})")
        print(f"database: {await Product.count().run():,} products, {await Variant.count().run():,} variants")
    finally:
        await runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--database-url", default=None, help="An empty, unmigrated database (default: temp SQLite).")
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
