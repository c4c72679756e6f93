"""What every ``shopwright`` command shares: reading settings, failing with an
exit code, opening a runtime and running a coroutine.

Exit codes: 2 for a bad setting (one line naming it), 1 for any other failure
(``error: ...`` on standard error).
"""
from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, NoReturn

import click

from engine.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from engine.runtime import Runtime


def settings_from(ctx: click.Context) -> Settings:
    """The settings for this invocation (``--config`` or ``SHOPWRIGHT_CONFIG``, then
    ``SHOPWRIGHT_*`` variables); a bad setting exits 2 with one line naming it."""
    try:
        return load_settings(ctx.obj.get("config"))
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def fail(message: str) -> NoReturn:
    """Print ``error: MESSAGE`` on standard error and exit 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, migrated: bool = True) -> AsyncIterator[Runtime]:
    """A started ``Runtime`` without background loops or job queue, stopped on exit.

    With ``migrated`` (the default) an unmigrated database fails with the advice
    to run ``shopwright migrate``; without it the runtime is only connected, for
    the commands that migrate."""
    from engine.logs import configure_logging
    from engine.runtime import NotMigrated, Runtime

    configure_logging("ERROR", "console")
    runtime = Runtime(settings)
    try:
        if migrated:
            try:
                await runtime.start(background=False, jobs=False)
            except NotMigrated as exc:
                fail(str(exc))
        else:
            await runtime.connect()
        yield runtime
    finally:
        await runtime.stop()


def run(coro_factory: Callable[[], Awaitable[Any]]) -> Any:
    """Run the coroutine ``coro_factory()`` returns; a plugin, hook, shop or value
    error becomes ``error: ...`` and exit 1."""
    from engine.errors import ShopError
    from engine.plugins import HookError, PluginError

    try:
        return asyncio.run(coro_factory())
    except (PluginError, HookError, ShopError, ValueError) as exc:
        fail(str(exc))
