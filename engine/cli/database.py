"""Database commands: ``init`` (settings file, then migrate), ``migrate``,
``backup FILE`` and ``restore FILE``."""
from __future__ import annotations

import secrets
from pathlib import Path

import click

from engine.cli.common import fail, open_runtime, run, settings_from

CONFIG_TEMPLATE = Path(__file__).parent.parent / "config_template.toml"


@click.command()
@click.option("--path", type=click.Path(dir_okay=False), default="config/shopwright.toml", show_default=True,
              help="Where to write the settings file.")
@click.pass_context
def init(ctx: click.Context, path: str) -> None:
    """Write a settings file with a fresh secret key (if none exists) and migrate."""
    target = Path(path)
    if target.exists():
        click.echo(f"{target} exists; keeping it")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        text = CONFIG_TEMPLATE.read_text().replace("__SECRET_KEY__", secrets.token_urlsafe(48))
        target.write_text(text)
        click.echo(f"wrote {target}")
    ctx.obj["config"] = ctx.obj.get("config") or str(target)
    ctx.invoke(migrate)


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply pending migrations of the core and of enabled plugins."""
    settings = settings_from(ctx)

    async def go():
        async with open_runtime(settings, migrated=False) as runtime:
            applied = await runtime.migrate(echo=click.echo)
            click.echo(f"{len(applied)} migration(s) applied; database is up to date")

    run(go)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def backup(ctx: click.Context, file: str) -> None:
    """Back the database up to FILE while the shop runs (SQLite: online backup; PostgreSQL: pg_dump)."""
    from engine.db.backup import BackupError, backup as make_backup

    settings = settings_from(ctx)
    try:
        size = make_backup(settings.database_url, file)
    except BackupError as exc:
        fail(str(exc))
    click.echo(f"backed up to {file} ({size} bytes)")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def restore(ctx: click.Context, file: str) -> None:
    """Replace the database's contents with the backup FILE (stop web processes and workers first)."""
    from engine.db.backup import BackupError, restore as restore_backup

    settings = settings_from(ctx)
    try:
        restore_backup(settings.database_url, file)
    except BackupError as exc:
        fail(str(exc))
    click.echo(f"restored {file}; run `shopwright migrate` if it was made by an older release")
