"""Order commands: ``orders`` under ``export`` (CSV, one row per order line, or
JSON Lines, one order per line)."""
from __future__ import annotations

import click

from engine.cli.common import open_runtime, run, settings_from


@click.command("orders")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format (default: from the extension; .jsonl is JSON Lines, anything else CSV).")
@click.pass_context
def export_orders(ctx: click.Context, file: str, fmt: str | None) -> None:
    """Export every order: CSV (one row per order line) or JSON Lines (one order per line)."""
    settings = settings_from(ctx)

    async def go():
        from engine.orders.exporter import export_orders as run_export

        async with open_runtime(settings):
            count = await run_export(file, fmt)
        click.echo(f"exported {count} order(s) to {file}")

    run(go)
