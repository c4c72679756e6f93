"""``shopwright shipping import FILE`` and ``shopwright shipping export FILE``:
the rate table as CSV (:mod:`shopwright_shipping_rates.rate_csv`)."""
from __future__ import annotations

import sys
from typing import Any

import click

from engine import sdk

from shopwright_shipping_rates.rate_csv import read_rates, write_rates
from shopwright_shipping_rates.rates import RateTable
from shopwright_shipping_rates.store import load_rates, replace_rates

MAX_FILE_BYTES = 10 * 1024 * 1024


@click.group("shipping")
def shipping() -> None:
    """Shipping zones and rates (the shipping_rates plugin)."""


def _read_text(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise click.ClickException(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text (byte {exc.start})") from None


def _summary(table: RateTable) -> str:
    methods = sum(len(zone.methods) for zone in table.zones)
    bands = sum(len(method.bands) for zone in table.zones for method in zone.methods)
    return f"{len(table.zones)} zone(s), {methods} method(s), {bands} band(s)"


@shipping.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def import_rates(file: str) -> None:
    """Replace every zone and rate with those of FILE (CSV; '-' reads stdin).

    Every row is checked first; with any problem nothing is written and each
    problem is printed as 'line N: ...'."""
    text = _read_text(file)

    async def replace(runtime: Any) -> RateTable:
        table = read_rates(text, sdk.store_currency(runtime))
        await replace_rates(runtime, table)
        return table

    click.echo(f"imported {_summary(sdk.run_command(replace))}")


@shipping.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
def export_rates(file: str) -> None:
    """Write every zone and rate to FILE (CSV that import reads; '-' writes stdout)."""

    async def read(runtime: Any) -> RateTable:
        return await load_rates()

    table = sdk.run_command(read)
    text = write_rates(table)
    if file == "-":
        click.echo(text, nl=False)
        return
    with open(file, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    click.echo(f"exported {_summary(table)} to {file}", err=True)
