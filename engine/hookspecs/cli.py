"""Command-line hooks: commands a plugin adds to ``shopwright``."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "process", implementation="sync", on_failure="skip", plugins="installed")
def cli_commands():
    """Commands this plugin adds to the ``shopwright`` command line.

    Collect-all; sync; called once when the ``shopwright`` command starts and
    needs them (``shopwright --help``, or a command name that is not the
    engine's own), for every installed, usable plugin, enabled or not: no
    database is read to list them. Returns a list of ``click`` commands or
    groups; a group named ``erp`` is run as ``shopwright erp ...``. A name
    the engine already uses, or one an earlier plugin (by name) took, is left
    out with a warning; so is anything that is not a ``click.Command``.

    When a plugin's command is run (not for ``--help``) the core first checks
    the shop's state: a plugin that is not enabled, or enabled but inactive
    (settings that do not validate), stops with an ``error:`` line saying so
    and how to enable it (exit 1). Inside
    a command, ``engine.sdk.run_command(main)`` runs ``await main(runtime)``
    with the shop the invocation is configured for. Example::

        import click
        from engine import hookimpl, sdk

        @click.group("erp")
        def erp():
            "ERP synchronisation."

        @erp.command("status")
        def status():
            count = sdk.run_command(lambda runtime: count_pending(runtime))
            click.echo(f"{count} pending")

        @hookimpl
        def cli_commands():
            return [erp]
    """
