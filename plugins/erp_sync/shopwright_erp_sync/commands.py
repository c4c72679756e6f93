"""``shopwright erp status|pull|push|retry`` (the plugin's ``cli_commands``).

The commands run in the ``shopwright`` process itself (``sdk.run_command``),
talking to the ERP directly: they need no worker and no Redis.

- ``status``: the connector and whether the ERP answers, the last pull and
  push, the number of linked orders, the open dead letters (with errors).
- ``pull [--full]``: pull now (``--full``: ignore the cursor).
- ``push NUMBER...``: push these paid orders now (each once).
- ``retry``: try every open dead letter again (products are pulled again by
  a full pull's isolation of the refs; orders are pushed again).
"""
from __future__ import annotations

from typing import Any

import click

from engine import sdk

from shopwright_erp_sync import store, sync
from shopwright_erp_sync.connector import ErpError

NAME = "erp_sync"


async def _connected(runtime: Any, work):
    """``await work(connector)``; an ERP error or an unknown order becomes
    ``ValueError``, which ``run_command`` prints as ``error: ...`` (exit 1)."""
    connector = sync.connector_for(runtime, sdk.plugin_settings(runtime, NAME))
    try:
        return await work(connector)
    except (ErpError, LookupError) as exc:
        raise ValueError(str(exc).strip("'\"")) from None
    finally:
        await connector.aclose()


@click.group("erp")
def erp() -> None:
    """ERP synchronisation (the erp_sync plugin)."""


@erp.command("status")
def status() -> None:
    """Connector, ERP reachability, last runs and open dead letters."""

    async def main(runtime: Any) -> dict[str, Any]:
        settings = sdk.plugin_settings(runtime, NAME)
        missing = settings.missing()
        erp_status = ({"ok": False, "detail": f"not configured: set {', '.join(missing)}"} if missing
                      else await _connected(runtime, lambda connector: connector.status()))
        return {"connector": settings.connector, "erp": erp_status, "last_pull": await store.get_json("last_pull"),
                "last_push": await store.get_json("last_push"), "orders": await store.count_links("order"),
                "dead": await store.open_dead_letters()}

    info = sdk.run_command(main)
    erp_line = "reachable" if info["erp"]["ok"] else "UNREACHABLE"
    click.echo(f"connector: {info['connector']} ({erp_line}: {info['erp']['detail']})")
    pull = info["last_pull"]
    click.echo(f"last pull: {pull.get('at', 'never')}" + (
        f" ({pull['products']} products, {pull['variants']} variants, {pull['stock_changed']} stock changes, "
        f"{pull['dead_lettered']} dead-lettered)" if pull else ""))
    push = info["last_push"]
    click.echo(f"last push: {push.get('at', 'never')}" + (f" (order {push['order']})" if push else ""))
    click.echo(f"orders pushed: {info['orders']}")
    click.echo(f"dead letters: {len(info['dead'])}")
    for row in info["dead"]:
        click.echo(f"  {row['kind']} {row['ref']} (tries {row['tries']}): {row['error']}")


@erp.command("pull")
@click.option("--full", is_flag=True, help="Pull everything, not only what changed since the last pull.")
def pull(full: bool) -> None:
    """Pull products, prices and stock from the ERP now."""

    async def main(runtime: Any) -> dict[str, Any]:
        return await _connected(runtime, lambda connector: sync.pull(runtime, connector, full=full))

    summary = sdk.run_command(main)
    click.echo(f"pulled {summary['products']} products, {summary['variants']} variants, "
               f"{summary['stock_changed']} stock changes, {summary['dead_lettered']} dead-lettered")


@erp.command("push")
@click.argument("numbers", nargs=-1, required=True)
def push(numbers: tuple[str, ...]) -> None:
    """Push the paid orders NUMBERS to the ERP now (an order already pushed is not pushed again)."""

    async def main(runtime: Any) -> list[tuple[str, str, bool]]:
        async def each(connector):
            done = []
            for number in numbers:
                erp_id, created = await sync.push_order(runtime, connector, number)
                done.append((number, erp_id, created))
            return done
        return await _connected(runtime, each)

    done = sdk.run_command(main)
    for number, erp_id, created in done:
        click.echo(f"{number} -> {erp_id}" + ("" if created else " (already pushed)"))


@erp.command("retry")
def retry() -> None:
    """Try every open dead letter again; prints what went through and what is still failing."""

    async def main(runtime: Any) -> tuple[int, int]:
        async def each(connector):
            ok = failed = 0
            for row in await store.open_dead_letters():
                if await sync.retry_dead_letter(runtime, connector, row):
                    ok += 1
                else:
                    failed += 1
            return ok, failed
        return await _connected(runtime, each)

    ok, failed = sdk.run_command(main)
    click.echo(f"retried: {ok} through, {failed} still failing")
