"""The ``shopwright`` command.

Every verb reads settings from ``config/shopwright.toml`` (or ``--config`` /
``SHOPWRIGHT_CONFIG``) and ``SHOPWRIGHT_*`` variables. A bad setting stops with
one line naming it (exit 2); other failures print ``error: ...`` (exit 1).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

import click

from engine import __version__
from engine.settings import Settings, SettingsError, load_settings


def _settings(ctx: click.Context) -> Settings:
    try:
        return load_settings(ctx.obj.get("config"))
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@contextlib.asynccontextmanager
async def _runtime(settings: Settings, migrated: bool = True):
    from engine.logs import configure_logging
    from engine.runtime import NotMigrated, Runtime

    configure_logging("ERROR", "console")
    runtime = Runtime(settings)
    try:
        if migrated:
            try:
                await runtime.start(background=False, jobs=False)
            except NotMigrated as exc:
                _fail(str(exc))
        else:
            await runtime.connect()
        yield runtime
    finally:
        await runtime.stop()


def _run(coro_factory: Callable[[], Awaitable[Any]]) -> Any:
    from engine.errors import ShopError
    from engine.plugins import HookError, PluginError

    try:
        return asyncio.run(coro_factory())
    except (PluginError, HookError, ShopError, ValueError) as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Settings file (default: $SHOPWRIGHT_CONFIG or config/shopwright.toml).")
@click.version_option(__version__, prog_name="shopwright")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Shopwright: a plugin-based, self-hosted commerce engine."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


# ---------------------------------------------------------------- setup
CONFIG_TEMPLATE = Path(__file__).parent / "config_template.toml"


@main.command()
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


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply pending migrations of the core and of enabled plugins."""
    settings = _settings(ctx)

    async def go():
        async with _runtime(settings, migrated=False) as runtime:
            applied = await runtime.migrate(echo=click.echo)
            click.echo(f"{len(applied)} migration(s) applied; database is up to date")

    _run(go)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def backup(ctx: click.Context, file: str) -> None:
    """Back the database up to FILE while the shop runs (SQLite: online backup; PostgreSQL: pg_dump)."""
    from engine.db.backup import BackupError, backup as make_backup

    settings = _settings(ctx)
    try:
        size = make_backup(settings.database_url, file)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"backed up to {file} ({size} bytes)")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def restore(ctx: click.Context, file: str) -> None:
    """Replace the database's contents with the backup FILE (stop web processes and workers first)."""
    from engine.db.backup import BackupError, restore as restore_backup

    settings = _settings(ctx)
    try:
        restore_backup(settings.database_url, file)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"restored {file}; run `shopwright migrate` if it was made by an older release")


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: server.host).")
@click.option("--port", type=int, default=None, help="Port (default: server.port).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: server.workers).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the store with Hypercorn."""
    from hypercorn.config import Config
    from hypercorn.run import run

    settings = _settings(ctx)
    config = Config()
    config.application_path = "engine.asgi:app"
    config.bind = [f"{host or settings.server.host}:{port or settings.server.port}"]
    config.workers = workers or settings.server.workers
    try:
        import uvloop  # noqa: F401

        config.worker_class = "uvloop"  # balances keep-alive connections across workers
    except ImportError:
        config.worker_class = "asyncio"
    config.accesslog = None
    config.graceful_timeout = 5
    if ctx.obj.get("config"):
        os.environ["SHOPWRIGHT_CONFIG"] = ctx.obj["config"]
    click.echo(f"serving on http://{config.bind[0]} with {config.workers} worker(s)")
    sys.exit(run(config))


@main.command()
@click.option("--burst", is_flag=True, help="Run queued jobs, then exit.")
@click.pass_context
def worker(ctx: click.Context, burst: bool) -> None:
    """Run the arq job worker (needs SHOPWRIGHT_REDIS_URL)."""
    settings = _settings(ctx)
    if not settings.redis_url:
        _fail("the worker needs SHOPWRIGHT_REDIS_URL (without it, jobs run inside `shopwright serve`)")

    async def go():
        from engine.jobs.arq_queue import make_worker
        from engine.logs import configure_logging
        from engine.runtime import NotMigrated, Runtime

        configure_logging(settings.logging.level, settings.logging.format)
        runtime = Runtime(settings)
        try:
            await runtime.start(background=True, jobs=True)
        except NotMigrated as exc:
            _fail(str(exc))
        try:
            arq_worker = make_worker(runtime, burst=burst)
            await arq_worker.main()
            await arq_worker.close()
        finally:
            await runtime.stop()

    _run(go)


@main.command("seed-demo")
@click.option("--products", type=int, default=300, show_default=True, help="How many products to create.")
@click.pass_context
def seed_demo(ctx: click.Context, products: int) -> None:
    """Load the demo catalog (once: does nothing when a catalog exists)."""
    settings = _settings(ctx)

    async def go():
        from engine.catalog.demo import seed_demo_catalog

        async with _runtime(settings) as runtime:
            created = await seed_demo_catalog(runtime, products=products)
            click.echo(f"demo catalog: {created} product(s) created" if created else "demo catalog already present")

    try:
        import engine.catalog.demo  # noqa: F401
    except ImportError:
        _fail("the catalog is not available in this build")
    _run(go)


# ---------------------------------------------------------------- import / export
@main.group("import")
def import_group() -> None:
    """Bulk import. A file is validated first: one with errors writes nothing."""


@import_group.command("products")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format (default: from the extension; .jsonl is JSON Lines, anything else CSV).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=5000, show_default=True,
              help="Rows written per transaction.")
@click.pass_context
def import_products(ctx: click.Context, file: str, fmt: str | None, batch_size: int) -> None:
    """Import products, variants, prices and stock from a CSV or JSON Lines file
    (one row per variant; columns in docs/catalog.md). Re-importing is safe:
    rows are upserts by product slug and SKU."""
    settings = _settings(ctx)

    async def go():
        from engine.catalog.importer import import_products as run_import

        bars: list = []

        def validated(report) -> None:
            click.echo(f"checked {report.rows} row(s): {report.error_count} error(s)")
            if report.ok and report.rows:
                bars.append(click.progressbar(length=report.rows, label="importing", show_pos=True))
                bars[0].__enter__()

        async with _runtime(settings) as runtime:
            try:
                report = await run_import(runtime, file, fmt, batch_size=batch_size,
                                          progress=lambda n: bars[0].update(n), on_validated=validated)
            finally:
                if bars:
                    bars[0].__exit__(None, None, None)
        if not report.ok:
            for error in report.errors:
                click.echo(f"line {error.line}: {error.message}", err=True)
            if report.error_count > len(report.errors):
                click.echo(f"... and {report.error_count - len(report.errors)} more", err=True)
            _fail(f"{report.error_count} bad row(s) in {file}; nothing was imported")
        if not report.rows:
            _fail(f"{file} has no rows to import")
        click.echo(f"imported {report.rows} row(s): {report.products} product(s), {report.variants} variant(s) "
                   f"in {report.seconds:.1f}s ({report.rows / max(report.seconds, 1e-9):,.0f} rows/s)")

    _run(go)


@main.group("export")
def export_group() -> None:
    """Bulk export."""


@export_group.command("products")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format (default: from the extension; .jsonl is JSON Lines, anything else CSV).")
@click.pass_context
def export_products(ctx: click.Context, file: str, fmt: str | None) -> None:
    """Export every product variant in the import format (re-imports unchanged)."""
    settings = _settings(ctx)

    async def go():
        from engine.catalog.exporter import export_products as run_export

        async with _runtime(settings):
            rows = await run_export(file, fmt)
        click.echo(f"exported {rows} row(s) to {file}")

    _run(go)


@export_group.command("orders")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format (default: from the extension; .jsonl is JSON Lines, anything else CSV).")
@click.pass_context
def export_orders(ctx: click.Context, file: str, fmt: str | None) -> None:
    """Export every order: CSV (one row per order line) or JSON Lines (one order per line)."""
    settings = _settings(ctx)

    async def go():
        from engine.orders.exporter import export_orders as run_export

        async with _runtime(settings):
            count = await run_export(file, fmt)
        click.echo(f"exported {count} order(s) to {file}")

    _run(go)


# ---------------------------------------------------------------- plugins
@main.group()
def plugins() -> None:
    """Installed plugins: list, show, enable, disable, configure."""


def _status_rows(runtime) -> list[dict]:
    return [
        {
            "name": s.name, "title": s.title, "version": s.version, "enabled": s.enabled, "active": s.active,
            "core": s.core, "priority": s.priority, "error": s.error,
        }
        for s in runtime.host.status()
    ]


def _theme_rows(runtime, active: str) -> list[dict]:
    from engine.themes.registry import discover_themes

    return [
        {"name": t.name, "title": t.manifest.title if t.manifest else t.name, "version": t.version,
         "parent": t.manifest.parent if t.manifest else None, "active": t.name == active, "error": t.error}
        for t in discover_themes().values()
    ]


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "show_core", is_flag=True, help="Include the core default plugins.")
@click.pass_context
def plugins_list(ctx: click.Context, as_json: bool, show_core: bool) -> None:
    """Installed plugins and themes with version, enabled state and load errors."""
    settings = _settings(ctx)

    async def go():
        from engine.themes.registry import active_theme_name

        async with _runtime(settings) as runtime:
            rows = [r for r in _status_rows(runtime) if show_core or not r["core"]]
            themes = _theme_rows(runtime, await active_theme_name(settings.theme))
        if as_json:
            click.echo(json.dumps({"plugins": rows, "themes": themes}, indent=2))
            return
        click.echo(f"{'PLUGIN':<22} {'VERSION':<10} {'ENABLED':<8} {'ACTIVE':<7} TITLE / ERROR")
        for r in rows:
            note = f"ERROR: {r['error']}" if r["error"] else r["title"]
            click.echo(f"{r['name']:<22} {r['version']:<10} {'yes' if r['enabled'] else 'no':<8} "
                       f"{'yes' if r['active'] else 'no':<7} {note}")
        click.echo("")
        click.echo(f"{'THEME':<22} {'VERSION':<10} {'ACTIVE':<8} {'PARENT':<10} TITLE / ERROR")
        for t in themes:
            note = f"ERROR: {t['error']}" if t["error"] else t["title"]
            click.echo(f"{t['name']:<22} {t['version']:<10} {'yes' if t['active'] else 'no':<8} "
                       f"{t['parent'] or '-':<10} {note}")

    _run(go)


@plugins.command("show")
@click.argument("name")
@click.pass_context
def plugins_show(ctx: click.Context, name: str) -> None:
    """One plugin: manifest, state and settings (secrets masked), as JSON."""
    settings = _settings(ctx)

    async def go():
        from engine.manifest import secret_fields

        async with _runtime(settings) as runtime:
            plugin = runtime.host.get(name)
            status = runtime.host.status_of(name)
            manifest = plugin.manifest
            schema = {}
            if manifest and manifest.settings:
                secrets_ = secret_fields(manifest.settings)
                for field_name, info in manifest.settings.model_fields.items():
                    schema[field_name] = {
                        "type": getattr(info.annotation, "__name__", str(info.annotation)),
                        "secret": field_name in secrets_,
                        "description": info.description or "",
                    }
            click.echo(json.dumps({
                "name": name,
                "title": status.title,
                "version": status.version,
                "engine": manifest.engine if manifest else None,
                "description": manifest.description if manifest else "",
                "enabled": status.enabled,
                "active": status.active,
                "priority": status.priority,
                "error": status.error,
                "settings": runtime.host.shown_settings(name),
                "settings_schema": schema,
            }, indent=2))

    _run(go)


@plugins.command("enable")
@click.argument("name")
@click.pass_context
def plugins_enable(ctx: click.Context, name: str) -> None:
    """Enable a plugin (runs its migrations first). In force everywhere within 2 s."""
    settings = _settings(ctx)

    async def go():
        from engine.db.migrate import migrate as run_migrations

        async with _runtime(settings) as runtime:
            plugin = runtime.host.get(name)
            if plugin.error:
                _fail(f"plugin {name!r} cannot be enabled: {plugin.error}")
            if plugin.manifest.piccolo_app:
                await run_migrations(runtime.database, [plugin.manifest.piccolo_app], echo=click.echo)
            await runtime.host.enable(name)
            click.echo(f"enabled {name}")

    _run(go)


@plugins.command("disable")
@click.argument("name")
@click.pass_context
def plugins_disable(ctx: click.Context, name: str) -> None:
    """Disable a plugin (its data is kept)."""
    settings = _settings(ctx)

    async def go():
        async with _runtime(settings) as runtime:
            await runtime.host.disable(name)
            click.echo(f"disabled {name}")

    _run(go)


@plugins.command("configure")
@click.argument("name")
@click.argument("pairs", nargs=-1, required=True)
@click.pass_context
def plugins_configure(ctx: click.Context, name: str, pairs: tuple[str, ...]) -> None:
    """Set settings: ``shopwright plugins configure NAME key=value ...``.

    Values are validated against the plugin's settings schema; nothing is
    written when one is invalid. Secret values are stored encrypted."""
    settings = _settings(ctx)
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"expected key=value, got {pair!r}")
        values[key.strip()] = value

    async def go():
        async with _runtime(settings) as runtime:
            await runtime.host.configure(name, values)
            shown = runtime.host.shown_settings(name)
            for key in values:
                click.echo(f"{name}.{key} = {shown.get(key)}")

    _run(go)


@plugins.command("priority")
@click.argument("name")
@click.argument("priority", type=int)
@click.pass_context
def plugins_priority(ctx: click.Context, name: str, priority: int) -> None:
    """Set a plugin's hook priority (lower runs first)."""
    settings = _settings(ctx)

    async def go():
        async with _runtime(settings) as runtime:
            await runtime.host.set_priority(name, priority)
            click.echo(f"{name} priority = {priority}")

    _run(go)


@main.group("plugin")
def plugin_group() -> None:
    """Tools for plugin authors."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--directory", type=click.Path(file_okay=False), default=None,
              help="Where to create the package (default: ./shopwright-NAME).")
def plugin_new(name: str, directory: str | None) -> None:
    """Scaffold a plugin package whose own tests pass out of the box."""
    from engine.scaffold import scaffold_plugin

    try:
        target = scaffold_plugin(name, Path(directory) if directory else None)
    except ValueError as exc:
        _fail(str(exc))
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && pytest {target}")


# ---------------------------------------------------------------- themes
@main.group()
def themes() -> None:
    """Storefront themes: list, activate, check."""


@themes.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def themes_list(ctx: click.Context, as_json: bool) -> None:
    """Installed themes, the active one marked."""
    settings = _settings(ctx)

    async def go():
        from engine.themes.registry import active_theme_name

        async with _runtime(settings) as runtime:
            rows = _theme_rows(runtime, await active_theme_name(settings.theme))
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for t in rows:
            note = f"ERROR: {t['error']}" if t["error"] else t["title"]
            click.echo(f"{'*' if t['active'] else ' '} {t['name']:<20} {t['version']:<10} {t['parent'] or '-':<10} {note}")

    _run(go)


@themes.command("activate")
@click.argument("name")
@click.pass_context
def themes_activate(ctx: click.Context, name: str) -> None:
    """Make NAME the storefront theme."""
    settings = _settings(ctx)

    async def go():
        from engine.themes.registry import set_active_theme

        async with _runtime(settings):
            await set_active_theme(name)
            click.echo(f"active theme: {name}")

    _run(go)


@themes.command("check")
@click.argument("name", required=False)
def themes_check(name: str | None) -> None:
    """Lint a theme (an installed NAME or a theme distribution folder; all
    installed themes when omitted). Prints file:line: problem; exit code 1 when
    there is any problem."""
    from engine.themes.check import check_theme, resolve_target
    from engine.themes.registry import ThemeError, discover_themes

    try:
        targets = [resolve_target(name)] if name else [(t, None) for t in discover_themes().values()]
    except ThemeError as exc:
        _fail(str(exc))
    if not targets:
        _fail("no theme is installed")
    themes = None
    failed = 0
    for theme, known in targets:
        themes = known or themes or discover_themes()
        problems = check_theme(theme, themes)
        for problem in problems:
            click.echo(str(problem))
        if problems:
            failed += 1
            click.echo(f"theme {theme.name}: {len(problems)} problem(s)")
        else:
            click.echo(f"theme {theme.name}: ok")
    sys.exit(1 if failed else 0)


@main.group("theme")
def theme_group() -> None:
    """Tools for theme authors."""


@theme_group.command("new")
@click.argument("name")
@click.option("--directory", type=click.Path(file_okay=False), default=None,
              help="Where to create the package (default: ./shopwright-theme-NAME).")
def theme_new(name: str, directory: str | None) -> None:
    """Scaffold a child theme of `default` that passes `themes check` and its tests."""
    from engine.themes.scaffold import scaffold_theme

    try:
        target = scaffold_theme(name, Path(directory) if directory else None)
    except ValueError as exc:
        _fail(str(exc))
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && shopwright themes check {name} && pytest {target}")


# ---------------------------------------------------------------- staff & tokens
@main.group()
def staff() -> None:
    """Staff accounts."""


@staff.command("create")
@click.option("--email", required=True, help="Sign-in e-mail address.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--role", default="support", show_default=True, help="owner, manager or support.")
@click.pass_context
def staff_create(ctx: click.Context, email: str, password_stdin: bool, role: str) -> None:
    """Create a staff account."""
    settings = _settings(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def go():
        from engine.accounts.staff import create_staff

        async with _runtime(settings):
            staff_id = await create_staff(email, password, role)
            click.echo(f"created staff account {email.strip().lower()} (id {staff_id}, role {role})")

    _run(go)


@main.group()
def tokens() -> None:
    """Admin API tokens."""


@tokens.command("create")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--scopes", required=True, help="Comma-separated: catalog:read,orders:write,... or all.")
@click.option("--expires-days", type=int, default=None, help="Expire after this many days.")
@click.pass_context
def tokens_create(ctx: click.Context, name: str, scopes: str, expires_days: int | None) -> None:
    """Create an admin API token; the token is printed alone on the last line."""
    settings = _settings(ctx)

    async def go():
        from engine.accounts.staff import create_token, parse_scopes

        scope_list = parse_scopes(scopes)
        async with _runtime(settings):
            token, row = await create_token(name, scope_list, expires_days)
        click.echo(f"token {row['name']!r} ({row['prefix']}…) scopes: {','.join(scope_list)}")
        click.echo("store it now: it is shown only once")
        click.echo(token)

    _run(go)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def tokens_list(ctx: click.Context, as_json: bool) -> None:
    """Admin API tokens (never the tokens themselves: only their prefixes)."""
    settings = _settings(ctx)

    async def go():
        from engine.accounts.staff import list_tokens

        async with _runtime(settings):
            rows = await list_tokens()
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            click.echo(f"{row['id']:>4}  {row['prefix']}…  {row['state']:<8} {row['name']!r}  "
                       f"scopes: {','.join(row['scopes'])}  expires: {row['expires_at'] or 'never'}")

    _run(go)


@tokens.command("revoke")
@click.argument("token")
@click.pass_context
def tokens_revoke(ctx: click.Context, token: str) -> None:
    """Revoke a token by its id or its listed prefix (swt_xxxxxx)."""
    settings = _settings(ctx)

    async def go():
        from engine.accounts.staff import find_token, revoke_token

        async with _runtime(settings):
            row = await find_token(token.rstrip("…"))
            if row is None:
                _fail(f"no token {token!r}")
            revoked = await revoke_token(row["id"])
        click.echo(f"revoked token {row['name']!r} ({row['prefix']}…)" if revoked
                   else f"token {row['name']!r} ({row['prefix']}…) was already revoked")

    _run(go)


@staff.command("require-2fa")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.pass_context
def staff_require_2fa(ctx: click.Context, state: str) -> None:
    """Require two-factor sign-in for every staff member (on/off), or show it."""
    settings = _settings(ctx)

    async def go():
        from engine.accounts.staff import set_staff_2fa_required, staff_2fa_required

        async with _runtime(settings):
            if state != "status":
                await set_staff_2fa_required(state == "on")
            required = await staff_2fa_required(settings)
        source = " (forced by security.require_staff_2fa)" if settings.security.require_staff_2fa else ""
        click.echo(f"two-factor sign-in for staff: {'required' if required else 'optional'}{source}")

    _run(go)


# ---------------------------------------------------------------- webhooks
@main.group()
def webhooks() -> None:
    """Outgoing webhooks: subscriptions and their deliveries (docs/webhooks.md)."""


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def webhooks_list(ctx: click.Context, as_json: bool) -> None:
    """Webhook subscriptions with their state (never their secrets)."""
    settings = _settings(ctx)

    async def go():
        from engine.webhooks.services import list_subscriptions

        async with _runtime(settings):
            rows, _ = await list_subscriptions(limit=200)
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        if not rows:
            click.echo("no webhook subscriptions")
        for row in rows:
            flags = " ordered" if row["ordered"] else ""
            click.echo(f"{row['id']:>5}  {row['status']:<8} {row['url']}  [{', '.join(row['event_types'])}]{flags}")
            if row["status"] == "paused":
                click.echo(f"       paused: {row['paused_reason']}")

    _run(go)


@webhooks.command("deliveries")
@click.option("--subscription", "subscription_id", type=int, default=None, help="Only this subscription's.")
@click.option("--status", type=click.Choice(["pending", "succeeded", "failed"]), default=None)
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def webhooks_deliveries(ctx: click.Context, subscription_id: int | None, status: str | None, limit: int,
                        as_json: bool) -> None:
    """Recent deliveries, newest first."""
    settings = _settings(ctx)

    async def go():
        from engine.webhooks.services import list_deliveries

        async with _runtime(settings):
            rows, _ = await list_deliveries(subscription_id, status, None, limit)
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            last = row["last_error"] or (f"HTTP {row['last_status_code']}" if row["last_status_code"] else "")
            click.echo(f"{row['id']:>6}  sub {row['subscription_id']:<4} {row['event_id']:<12} {row['event_type']:<24} "
                       f"{row['status']:<9} attempts {row['attempts']:<3} {last}")

    _run(go)


@webhooks.command("redeliver")
@click.argument("delivery_id", type=int)
@click.pass_context
def webhooks_redeliver(ctx: click.Context, delivery_id: int) -> None:
    """Send a delivery again (same event id). With Redis a worker sends it at
    once; without, the web process does within a minute."""
    settings = _settings(ctx)

    async def go():
        from engine.webhooks.services import redeliver

        async with _runtime(settings) as runtime:
            row = await redeliver(runtime, delivery_id)
        click.echo(f"delivery {row['id']} ({row['event_id']} {row['event_type']}) scheduled")

    _run(go)


@webhooks.command("resume")
@click.argument("subscription_id", type=int)
@click.pass_context
def webhooks_resume(ctx: click.Context, subscription_id: int) -> None:
    """Resume a paused subscription: its pending deliveries are sent again."""
    settings = _settings(ctx)

    async def go():
        from engine.webhooks.services import resume

        async with _runtime(settings) as runtime:
            row = await resume(runtime, subscription_id)
        click.echo(f"subscription {row['id']} is {row['status']}")

    _run(go)


if __name__ == "__main__":  # pragma: no cover
    main()
