"""Theme commands: ``themes list|activate|check|configure`` for merchants and ``theme new``
for theme authors. Activation and settings are audited as ``cli:<operating-system user>``
(:func:`engine.audit.command_line_actor`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.cli.common import fail, open_runtime, run, settings_from


def theme_rows(active: str) -> list[dict]:
    """One row per installed theme: name, title, version, parent, whether it is
    ``active`` and its load error (None when it loaded)."""
    from engine.themes.registry import discover_themes

    return [
        {"name": t.name, "title": t.manifest.title if t.manifest else t.name, "version": t.version,
         "parent": t.manifest.parent if t.manifest else None, "active": t.name == active, "error": t.error}
        for t in discover_themes().values()
    ]


@click.group("themes")
def themes_group() -> None:
    """Storefront themes: list, activate, check, configure."""


@themes_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def themes_list(ctx: click.Context, as_json: bool) -> None:
    """Installed themes, the active one marked."""
    settings = settings_from(ctx)

    async def go():
        from engine.themes.registry import active_theme_name

        async with open_runtime(settings):
            rows = theme_rows(await active_theme_name(settings.theme))
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for t in rows:
            note = f"ERROR: {t['error']}" if t["error"] else t["title"]
            click.echo(f"{'*' if t['active'] else ' '} {t['name']:<20} {t['version']:<10} {t['parent'] or '-':<10} {note}")

    run(go)


@themes_group.command("activate")
@click.argument("name")
@click.pass_context
def themes_activate(ctx: click.Context, name: str) -> None:
    """Make NAME the storefront theme."""
    settings = settings_from(ctx)

    async def go():
        from engine.audit import command_line_actor
        from engine.themes.registry import set_active_theme

        async with open_runtime(settings):
            await set_active_theme(name, actor=command_line_actor())
            click.echo(f"active theme: {name}")

    run(go)


def setting_values(pairs: tuple[str, ...]) -> dict:
    """``key=value`` pairs as nested settings: a dotted key sets a field of a
    nested model (``colours.primary=#4a2545``); a value starting with ``[`` or
    ``{`` is read as JSON (lists of banners, menus), any other stays text for
    the settings model to convert. ValueError names a malformed pair."""
    values: dict = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ValueError(f"expected key=value, got {pair!r}")
        value = raw
        if raw.lstrip().startswith(("[", "{")):
            try:
                value = json.loads(raw)
            except ValueError:
                raise ValueError(f"{key}: the value is not valid JSON") from None
        *parents, leaf = key.split(".")
        target = values
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ValueError(f"{key} clashes with another key")
        target[leaf] = value
    return values


@themes_group.command("configure")
@click.argument("name")
@click.argument("pairs", nargs=-1, required=True)
@click.pass_context
def themes_configure(ctx: click.Context, name: str, pairs: tuple[str, ...]) -> None:
    """Set theme settings: ``shopwright themes configure NAME key=value ...``
    (``colours.primary=#4a2545``). Validated against the theme's settings
    model; nothing is written when a value is invalid. The storefront uses
    them within 2 s when NAME is the active theme."""
    settings = settings_from(ctx)
    try:
        values = setting_values(pairs)
    except ValueError as exc:
        fail(str(exc))

    async def go():
        from engine.audit import command_line_actor
        from engine.themes.registry import setting_keys, update_theme_settings

        async with open_runtime(settings):
            validated = await update_theme_settings(name, values, actor=command_line_actor())
        shown = validated.model_dump(mode="json") if validated else {}
        for key in setting_keys(values):
            value = shown
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            click.echo(f"{name}.{key} = {json.dumps(value) if isinstance(value, (list, dict)) else value}")

    run(go)


@themes_group.command("check")
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
        fail(str(exc))
    if not targets:
        fail("no theme is installed")
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


@click.group("theme")
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
        fail(str(exc))
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && shopwright themes check {name} && pytest {target}")
