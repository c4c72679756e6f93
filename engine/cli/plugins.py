"""Plugin commands: ``plugins list|show|enable|disable|configure|priority`` for
merchants and ``plugin new|check`` for plugin authors. Changes are audited as
``cli:<operating-system user>`` (:func:`engine.audit.command_line_actor`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from engine.admin.amounts import AmountError, format_major, parse_amount
from engine.audit import command_line_actor
from engine.cli.common import fail, open_runtime, run, settings_from
from engine.cli.themes import theme_rows


def _status_rows(runtime, failures: dict) -> list[dict]:
    return [
        {
            "name": s.name, "title": s.title, "version": s.version, "enabled": s.enabled, "active": s.active,
            "core": s.core, "priority": s.priority, "error": s.error,
            "last_failure": failures[s.name].to_json() if s.name in failures else None,
            "needs": runtime.host.needs(s.name),
        }
        for s in runtime.host.status()
    ]


def _failure_note(failure: dict) -> str:
    """One line about a plugin's latest hook failure."""
    return (f"FAILING: {failure['hook']} at {failure['at'][:19].replace('T', ' ')} UTC "
            f"({failure['count']}x): {' '.join(failure['message'].split())}")


@click.group("plugins")
def plugins_group() -> None:
    """Installed plugins: list, show, enable, disable, configure."""


@plugins_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "show_core", is_flag=True, help="Include the core default plugins.")
@click.pass_context
def plugins_list(ctx: click.Context, as_json: bool, show_core: bool) -> None:
    """Installed plugins and themes with version, enabled state and load errors."""
    settings = settings_from(ctx)

    from engine.plugins import one_line

    async def go():
        from engine.themes.registry import active_theme_name

        async with open_runtime(settings) as runtime:
            rows = [r for r in _status_rows(runtime, await runtime.host.failures()) if show_core or not r["core"]]
            themes = theme_rows(await active_theme_name(settings.theme))
        if as_json:
            click.echo(json.dumps({"plugins": rows, "themes": themes}, indent=2))
            return
        click.echo(f"{'PLUGIN':<22} {'VERSION':<10} {'ENABLED':<8} {'ACTIVE':<7} TITLE / ERROR")
        for r in rows:
            note = one_line(f"ERROR: {r['error']}" if r["error"] else r["title"])
            click.echo(f"{r['name']:<22} {r['version']:<10} {'yes' if r['enabled'] else 'no':<8} "
                       f"{'yes' if r['active'] else 'no':<7} {note}")
            if r["last_failure"]:
                click.echo(f"{'':<50} {_failure_note(r['last_failure'])}")
            if r["needs"]:
                click.echo(f"{'':<50} NOT READY, needs: {one_line('; '.join(r['needs']))}")
        click.echo("")
        click.echo(f"{'THEME':<22} {'VERSION':<10} {'ACTIVE':<8} {'PARENT':<10} TITLE / ERROR")
        for t in themes:
            note = one_line(f"ERROR: {t['error']}" if t["error"] else t["title"])
            click.echo(f"{t['name']:<22} {t['version']:<10} {'yes' if t['active'] else 'no':<8} "
                       f"{t['parent'] or '-':<10} {note}")

    run(go)


@plugins_group.command("show")
@click.argument("name")
@click.pass_context
def plugins_show(ctx: click.Context, name: str) -> None:
    """One plugin: manifest, state and settings (secrets masked), as JSON."""
    settings = settings_from(ctx)

    async def go():
        from engine.manifest import secret_fields

        async with open_runtime(settings) as runtime:
            plugin = runtime.host.get(name)
            status = runtime.host.status_of(name)
            failure = (await runtime.host.failures()).get(name)
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
                "last_failure": failure.to_json() if failure else None,
                "settings": runtime.host.shown_settings(name),
                "settings_schema": schema,
            }, indent=2))

    run(go)


@plugins_group.command("enable")
@click.argument("name")
@click.pass_context
def plugins_enable(ctx: click.Context, name: str) -> None:
    """Enable a plugin (runs its migrations first). In force everywhere within 2 s,
    also in servers started before it was installed (except its web routes)."""
    settings = settings_from(ctx)

    async def go():
        from engine.plugins import PluginError

        async with open_runtime(settings) as runtime:
            try:
                plugin = runtime.host.get(name)
            except PluginError as exc:
                fail(f"{exc} in this environment ({sys.prefix}): pip install its distribution here and "
                     f"where the store runs, then enable it")
            if plugin.error:
                fail(f"plugin {name!r} cannot be enabled: {plugin.error}")
            await runtime.host.enable(name, actor=command_line_actor(), database=runtime.database,
                                      echo=click.echo)
            click.echo(f"enabled {name}")
            needs = runtime.host.needs(name)
            if needs:
                click.echo(f"not ready yet: configure {', '.join(line.split(':')[0] for line in needs)} "
                           f"(shopwright plugins configure {name} key=value ...)")
            if _adds_routes(plugin.obj):
                click.echo(f"note: {name} adds web routes (lifecycle_blueprints): a server started before it was "
                           f"installed serves them only after a restart; its hooks, jobs and webhooks work at once")

    run(go)


def _adds_routes(obj) -> bool:
    """Whether plugin ``obj`` implements ``lifecycle_blueprints`` (routes are added
    to the web app when it is built, never to a running one)."""
    from engine.plugins.hookcheck import implementations

    return any((options.get("specname") or attribute) == "lifecycle_blueprints"
               for attribute, _, options in implementations(obj))


@plugins_group.command("disable")
@click.argument("name")
@click.pass_context
def plugins_disable(ctx: click.Context, name: str) -> None:
    """Disable a plugin (its data is kept)."""
    settings = settings_from(ctx)

    async def go():
        async with open_runtime(settings) as runtime:
            await runtime.host.disable(name, actor=command_line_actor())
            click.echo(f"disabled {name}")

    run(go)


@plugins_group.command("configure")
@click.argument("name")
@click.argument("pairs", nargs=-1, required=True)
@click.pass_context
def plugins_configure(ctx: click.Context, name: str, pairs: tuple[str, ...]) -> None:
    """Set settings: ``shopwright plugins configure NAME key=value ...``.

    Values are validated against the plugin's settings schema; nothing is
    written when one is invalid. Secret values are stored encrypted."""
    settings = settings_from(ctx)
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"expected key=value, got {pair!r}")
        values[key.strip()] = value

    async def go():
        async with open_runtime(settings) as runtime:
            plugin = runtime.host.installed.get(name)
            model = plugin.manifest.settings if plugin is not None and plugin.manifest else None
            currency = runtime.settings.store.currency
            typed = typed_amounts(model, values, currency)
            await runtime.host.configure(name, typed, actor=command_line_actor())
            shown = runtime.host.shown_settings(name)
            for key in values:
                value = shown.get(key)
                if typed[key] is not values[key] and isinstance(value, int):   # an amount: as it was typed
                    value = f"{format_major(value, currency)} {currency}"
                click.echo(f"{name}.{key} = {value}")

    run(go)


def typed_amounts(model: Any, values: dict[str, str], currency: str) -> dict[str, Any]:
    """``values`` with each amount field of ``model`` (marked
    ``json_schema_extra={"amount": True}``: stored in minor units) read from
    the decimal major units a merchant types — ``price=4.90`` is 490 cents,
    ``free_over=50`` fifty euros — exactly, refusing what is ambiguous
    (``4,90``) with a message naming the key. Empty, ``none`` and ``never``
    are passed on (an optional amount left unset)."""
    fields = getattr(model, "model_fields", {}) or {}
    typed: dict[str, Any] = dict(values)
    for key, value in values.items():
        extra = fields[key].json_schema_extra if key in fields else None
        if not (isinstance(extra, dict) and extra.get("amount")) or value.strip().lower() in ("", "none", "never"):
            continue
        try:
            typed[key] = parse_amount(value, currency, allow_zero=True)
        except AmountError as exc:
            fail(f"{key}: {exc}")
    return typed


@plugins_group.command("priority")
@click.argument("name")
@click.argument("priority", type=int)
@click.pass_context
def plugins_priority(ctx: click.Context, name: str, priority: int) -> None:
    """Set a plugin's hook priority (lower runs first)."""
    settings = settings_from(ctx)

    async def go():
        async with open_runtime(settings) as runtime:
            await runtime.host.set_priority(name, priority, actor=command_line_actor())
            click.echo(f"{name} priority = {priority}")

    run(go)


@click.group("plugin")
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
        fail(str(exc))
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && pytest {target}")


@plugin_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(file_okay=False))
def plugin_check(paths: tuple[str, ...]) -> None:
    """Lint plugin packages (folders with a pyproject.toml; they need not be
    installed): entry point, manifest, engine range, hook names and arguments,
    settings defaults, public-API-only imports. Prints one line per finding,
    file:line: RULE-ID message, and exits 1; prints "ok" when there is none."""
    from engine.plugins.check import check_plugin

    findings = [finding for path in paths for finding in check_plugin(Path(path))]
    for finding in findings:
        click.echo(str(finding))
    if findings:
        click.echo(f"{len(findings)} finding(s)", err=True)
        sys.exit(1)
    click.echo("ok")
