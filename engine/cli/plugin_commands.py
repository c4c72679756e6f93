"""Commands plugins add to ``shopwright`` (the ``cli_commands`` call site).

:class:`ShopwrightGroup` is the root group: the engine's own commands, then
those of every installed, usable plugin, enabled or not (listing them reads
no database). Plugins are imported only when a plugin command could be
wanted — ``shopwright --help``, or a name that is not the engine's — so the
engine's own commands start as fast as without plugins.

A plugin command is a copy of the plugin's ``click`` command whose leaf
commands first check the shop (:func:`check_plugin`): a plugin that is not
enabled, or enabled but inactive, stops with ``error: ...`` (exit 1) naming
what to do. ``--help`` never reads the shop. The settings read for the check
are left in ``ctx.meta`` under :data:`SETTINGS_META` for
``engine.sdk.run_command``.

Names: a command named like one of the engine's, or like one an earlier
plugin (by name) added, is left out with a warning on standard error, as is
anything that is not a ``click.Command``.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

import click

from engine.sdk.commands import SETTINGS_META

HOOK = "cli_commands"
MAX_NAME = 50


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def check_plugin(ctx: click.Context, plugin: str) -> None:
    """Stop with ``error: ...`` unless ``plugin`` is enabled and active in the
    shop this invocation is configured for."""
    from engine.cli.common import fail, open_runtime, run, settings_from

    settings = settings_from(ctx)
    ctx.meta[SETTINGS_META] = settings

    async def state():
        async with open_runtime(settings) as runtime:
            return runtime.host.status_of(plugin)

    status = run(state)
    if not status.enabled:
        fail(f"plugin {plugin!r} is not enabled: run `shopwright plugins enable {plugin}`")
    if not status.active:
        fail(f"plugin {plugin!r} is enabled but inactive: {status.error or 'see `shopwright plugins list`'}")


def guarded(plugin: str, command: click.Command) -> click.Command:
    """A copy of ``command`` whose leaf commands run :func:`check_plugin` first
    (groups are copied with their commands guarded; the plugin's objects are
    left as they are)."""
    twin = copy.copy(command)
    if isinstance(command, click.Group):
        twin.commands = {name: guarded(plugin, sub) for name, sub in command.commands.items()}
        return twin
    original = command.invoke

    def invoke(ctx: click.Context) -> Any:
        check_plugin(ctx, plugin)
        return original(ctx)

    twin.invoke = invoke  # type: ignore[method-assign]
    return twin


def _installed(plugins: Iterable[Any] | None) -> list:
    from engine.plugins import discover_installed, inspect_plugin

    if plugins is None:
        return discover_installed()
    return [inspect_plugin(obj, "explicit") for obj in plugins]


def _commands_by_plugin(installed: list) -> list[tuple[str, Any]]:
    """``(plugin, commands)`` from ``cli_commands`` of the usable ``installed``
    plugins, through the host's one hook caller (no database: the hook is
    called for installed plugins, with no settings)."""
    import pluggy

    from engine import PROJECT_NAME, hookspecs
    from engine.plugins.calls import HookCaller
    from engine.settings import PluginsSettings

    manager = pluggy.PluginManager(PROJECT_NAME)
    for module in hookspecs.MODULES:
        manager.add_hookspecs(module)
    usable = [(plugin.name, plugin.obj) for plugin in sorted(installed, key=lambda p: p.name) if not plugin.error]
    caller = HookCaller(manager, lambda name: None, PluginsSettings(), installed=lambda: usable)
    answers = caller.hook_sync(HOOK)
    for error in answers.skipped:
        _warn(f"plugin {error.plugin!r}: {HOOK} failed ({error.reason}); its commands are left out")
    return list(answers)


def plugin_commands(reserved: Iterable[str], plugins: Iterable[Any] | None = None) -> dict[str, click.Command]:
    """``{name: guarded command}`` of every installed, usable plugin in name
    order (``plugins``: exactly these, for tests; None: the entry points)."""
    taken = set(reserved)
    found: dict[str, click.Command] = {}
    for plugin, commands in _commands_by_plugin(_installed(plugins)):
        for command in commands if isinstance(commands, (list, tuple)) else [commands]:
            if not isinstance(command, click.Command) or not command.name or len(command.name) > MAX_NAME:
                _warn(f"plugin {plugin!r}: {command!r} is not a named click command; left out")
                continue
            if command.name in taken:
                _warn(f"plugin {plugin!r}: the command name {command.name!r} is taken; left out")
                continue
            taken.add(command.name)
            found[command.name] = guarded(plugin, command)
    return found


class ShopwrightGroup(click.Group):
    """The root group (see the module docs). ``plugins`` picks the plugins
    whose commands are added (tests); None finds them through entry points."""

    def __init__(self, *args: Any, plugins: Iterable[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plugins = plugins
        self._plugin_commands: dict[str, click.Command] | None = None

    def plugin_commands(self) -> dict[str, click.Command]:
        if self._plugin_commands is None:
            self._plugin_commands = plugin_commands(self.commands, self.plugins)
        return self._plugin_commands

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self.plugin_commands().get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.plugin_commands()})

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a file the command could not open or write ends as
        one ``error: ...`` line (exit 1), never a traceback."""
        try:
            return super().invoke(ctx)
        except OSError as exc:
            from engine.cli.common import fail

            where = f": {exc.filename}" if exc.filename else ""
            fail(f"{exc.strerror or exc}{where}")

    def with_plugins(self, plugins: Iterable[Any]) -> "ShopwrightGroup":
        """A copy of this group that adds the commands of ``plugins`` only."""
        twin = copy.copy(self)
        twin.plugins = list(plugins)
        twin._plugin_commands = None
        return twin

