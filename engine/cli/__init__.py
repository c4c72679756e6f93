"""The ``shopwright`` command.

Every verb reads settings from ``config/shopwright.toml`` (or ``--config`` /
``SHOPWRIGHT_CONFIG``) and ``SHOPWRIGHT_*`` variables. A bad setting stops with
one line naming it (exit 2); other failures print ``error: ...`` (exit 1).

This module holds the root group and registers every command; the commands
live in one module per concern (``database``, ``serve``, ``catalog``,
``orders``, ``plugins``, ``themes``, ``staff``, ``webhooks``, ``worker``) and share
``common``. Commands import what they run inside their function bodies, so
start-up stays fast. Installed plugins add their own commands through the
``cli_commands`` hook (:mod:`engine.cli.plugin_commands`); they are loaded
only for ``--help`` or a name that is not the engine's.
"""
from __future__ import annotations

import click

from engine import __version__
from engine.cli import (
    catalog,
    database,
    orders,
    plugins,
    serve,
    staff,
    themes,
    webhooks,
    worker,
)
from engine.cli.plugin_commands import ShopwrightGroup


@click.group(cls=ShopwrightGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Settings file (default: $SHOPWRIGHT_CONFIG or config/shopwright.toml).")
@click.version_option(__version__, prog_name="shopwright")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Shopwright: a plugin-based, self-hosted commerce engine."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


@main.group("import")
def import_group() -> None:
    """Bulk import. A file is validated first: one with errors writes nothing."""


@main.group("export")
def export_group() -> None:
    """Bulk export."""


main.add_command(database.init)
main.add_command(database.migrate)
main.add_command(database.backup)
main.add_command(database.restore)
main.add_command(serve.serve)
main.add_command(worker.worker)
main.add_command(catalog.seed_demo)
import_group.add_command(catalog.import_products)
export_group.add_command(catalog.export_products)
export_group.add_command(orders.export_orders)
main.add_command(plugins.plugins_group)
main.add_command(plugins.plugin_group)
main.add_command(themes.themes_group)
main.add_command(themes.theme_group)
main.add_command(staff.staff_group)
main.add_command(staff.tokens_group)
main.add_command(webhooks.webhooks_group)
