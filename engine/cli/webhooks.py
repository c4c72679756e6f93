"""Outgoing webhook commands: ``webhooks list|deliveries|redeliver|resume``
(docs/webhooks.md)."""
from __future__ import annotations

import json

import click

from engine.cli.common import open_runtime, run, settings_from


@click.group("webhooks")
def webhooks_group() -> None:
    """Outgoing webhooks: subscriptions and their deliveries (docs/webhooks.md)."""


@webhooks_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def webhooks_list(ctx: click.Context, as_json: bool) -> None:
    """Webhook subscriptions with their state (never their secrets)."""
    settings = settings_from(ctx)

    async def go():
        from engine.webhooks.services import list_subscriptions

        async with open_runtime(settings):
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

    run(go)


@webhooks_group.command("deliveries")
@click.option("--subscription", "subscription_id", type=int, default=None, help="Only this subscription's.")
@click.option("--status", type=click.Choice(["pending", "succeeded", "failed"]), default=None)
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def webhooks_deliveries(ctx: click.Context, subscription_id: int | None, status: str | None, limit: int,
                        as_json: bool) -> None:
    """Recent deliveries, newest first."""
    settings = settings_from(ctx)

    async def go():
        from engine.webhooks.services import list_deliveries

        async with open_runtime(settings):
            rows, _ = await list_deliveries(subscription_id, status, None, limit)
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            last = row["last_error"] or (f"HTTP {row['last_status_code']}" if row["last_status_code"] else "")
            click.echo(f"{row['id']:>6}  sub {row['subscription_id']:<4} {row['event_id']:<12} {row['event_type']:<24} "
                       f"{row['status']:<9} attempts {row['attempts']:<3} {last}")

    run(go)


@webhooks_group.command("redeliver")
@click.argument("delivery_id", type=int)
@click.pass_context
def webhooks_redeliver(ctx: click.Context, delivery_id: int) -> None:
    """Send a delivery again (same event id). With Redis a worker sends it at
    once; without, the web process does within a minute."""
    settings = settings_from(ctx)

    async def go():
        from engine.webhooks.services import redeliver

        async with open_runtime(settings) as runtime:
            row = await redeliver(runtime, delivery_id)
        click.echo(f"delivery {row['id']} ({row['event_id']} {row['event_type']}) scheduled")

    run(go)


@webhooks_group.command("resume")
@click.argument("subscription_id", type=int)
@click.pass_context
def webhooks_resume(ctx: click.Context, subscription_id: int) -> None:
    """Resume a paused subscription: its pending deliveries are sent again."""
    settings = settings_from(ctx)

    async def go():
        from engine.webhooks.services import resume

        async with open_runtime(settings) as runtime:
            row = await resume(runtime, subscription_id)
        click.echo(f"subscription {row['id']} is {row['status']}")

    run(go)
