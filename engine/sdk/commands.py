"""Running a plugin's ``shopwright`` command (``cli_commands``) against the
shop the invocation is configured for."""
from __future__ import annotations

import asyncio
import sys
from typing import Any, Awaitable, Callable, TypeVar

import click

__all__ = ["run_command"]

T = TypeVar("T")
#: where the core leaves the settings a plugin command runs with
SETTINGS_META = "shopwright.settings"


def _settings() -> Any:
    from engine.settings import SettingsError, load_settings

    context = click.get_current_context(silent=True)
    settings = context.meta.get(SETTINGS_META) if context is not None else None
    if settings is not None:
        return settings
    config = None
    if context is not None:
        root = context.find_root()
        config = (root.obj or {}).get("config") if isinstance(root.obj, dict) else None
    try:
        return load_settings(config)
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def run_command(main: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``await main(runtime)`` with a started runtime of the shop this
    ``shopwright`` invocation is configured for (``--config``,
    ``SHOPWRIGHT_*``; the same settings the core checked the plugin against),
    and stop it afterwards; returns what ``main`` returns. The runtime runs no
    background loops and no in-process jobs (queueing a job needs Redis
    here). A refusal of the shop's (:class:`~engine.sdk.ShopError`), a
    :class:`~engine.sdk.PluginError`, :class:`~engine.sdk.HookError` or
    ``ValueError`` prints ``error: ...`` and exits 1, like the engine's own
    commands; an unmigrated database says to run ``shopwright migrate``.
    Example::

        @erp.command("pull")
        @click.option("--full", is_flag=True)
        def pull(full):
            count = sdk.run_command(lambda runtime: pull_products(runtime, full=full))
            click.echo(f"{count} products updated")
    """
    from engine.errors import ShopError
    from engine.logs import configure_logging
    from engine.plugins.errors import HookError, PluginError
    from engine.runtime import NotMigrated, Runtime

    settings = _settings()

    async def go() -> T:
        configure_logging("ERROR", "console")
        runtime = Runtime(settings)
        try:
            await runtime.start(background=False, jobs=False)
            return await main(runtime)
        finally:
            await runtime.stop()

    try:
        return asyncio.run(go())
    except (NotMigrated, PluginError, HookError, ShopError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
