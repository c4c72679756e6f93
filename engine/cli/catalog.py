"""Catalog commands: ``seed-demo``, and ``products`` under ``import`` and ``export``
(CSV or JSON Lines, one row per variant; columns in docs/catalog.md)."""
from __future__ import annotations

import time

import click

from engine.cli.common import fail, open_runtime, run, settings_from


@click.command("seed-demo")
@click.option("--products", type=int, default=300, show_default=True, help="How many products to create.")
@click.pass_context
def seed_demo(ctx: click.Context, products: int) -> None:
    """Load the demo catalog (once: does nothing when a catalog exists)."""
    settings = settings_from(ctx)

    async def go():
        from engine.catalog.demo import seed_demo_catalog

        async with open_runtime(settings) as runtime:
            created = await seed_demo_catalog(runtime, products=products)
            click.echo(f"demo catalog: {created} product(s) created" if created else "demo catalog already present")

    try:
        import engine.catalog.demo  # noqa: F401
    except ImportError:
        fail("the catalog is not available in this build")
    run(go)


class ImportProgress:
    """Progress of ``import products`` on stderr (stdout keeps the summary):
    rows checked while validating, then rows written with the share done,
    the rate and the time left, one line per batch."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.total = 0
        self.done = 0
        self.writing_since = 0.0

    def checking(self, rows: int) -> None:
        click.echo(f"checking: {rows:,} rows", err=True)

    def validated(self, report) -> None:
        click.echo(f"checked {report.rows} row(s): {report.error_count} error(s)")
        self.total = report.rows
        self.writing_since = time.monotonic()

    def written(self, rows: int) -> None:
        self.done += rows
        elapsed = max(time.monotonic() - self.writing_since, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0.0
        click.echo(f"importing: {self.done:,} of {self.total:,} rows ({100 * self.done / max(self.total, 1):.0f}%), "
                   f"{rate:,.0f} rows/s, {left:.0f} s left", err=True)


@click.command("products")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format (default: from the extension; .jsonl is JSON Lines, anything else CSV).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=5000, show_default=True,
              help="Rows written per transaction (a batch ends with a product, at most twice this).")
@click.pass_context
def import_products(ctx: click.Context, file: str, fmt: str | None, batch_size: int) -> None:
    """Import products, variants, prices and stock from a CSV or JSON Lines file
    (one row per variant; columns in docs/catalog.md). Re-importing is safe:
    rows are upserts by product slug and SKU."""
    settings = settings_from(ctx)

    async def go():
        from engine.catalog.importer import import_products as run_import

        shown = ImportProgress()
        async with open_runtime(settings) as runtime:
            report = await run_import(runtime, file, fmt, batch_size=batch_size, checking=shown.checking,
                                      on_validated=shown.validated, progress=shown.written)
        if not report.ok:
            for error in report.errors:
                click.echo(f"line {error.line}: {error.message}", err=True)
            if report.error_count > len(report.errors):
                click.echo(f"... and {report.error_count - len(report.errors)} more", err=True)
            fail(f"{report.error_count} bad row(s) in {file}; nothing was imported")
        if not report.rows:
            fail(f"{file} has no rows to import")
        click.echo(f"imported {report.rows} row(s): {report.products} product(s), {report.variants} variant(s) "
                   f"in {report.seconds:.1f}s ({report.rows / max(report.seconds, 1e-9):,.0f} rows/s)")

    run(go)


@click.command("products")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format (default: from the extension; .jsonl is JSON Lines, anything else CSV).")
@click.pass_context
def export_products(ctx: click.Context, file: str, fmt: str | None) -> None:
    """Export every product variant in the import format (re-imports unchanged)."""
    settings = settings_from(ctx)

    async def go():
        from engine.catalog.exporter import export_products as run_export

        async with open_runtime(settings):
            rows = await run_export(file, fmt)
        click.echo(f"exported {rows} row(s) to {file}")

    run(go)
