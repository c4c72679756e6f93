"""Core jobs that turn outbox events into per-plugin event deliveries.

``core.dispatch_event`` (job id ``event:<id>``) fans one event out into one
``core.deliver_event`` job per active plugin that handles it — implements
``jobs_handle_event`` and lists the event in its manifest's ``events``, or
lists none — (job id ``event:<id>:<plugin>``), so each plugin's handler is
retried on its own and a failing plugin never makes another plugin's handler
run twice; an event nobody subscribes to costs no delivery job.
``core.relay_outbox`` is a cron safety net: it relays events that a stopped
process left behind.
"""
from __future__ import annotations

import structlog

from engine import PluginManifest, hookimpl
from engine.outbox import DELIVER_JOB, DISPATCH_JOB, delivery_job_id, load_event, relay_outbox
from engine.protocols import JobDefinition

MANIFEST = PluginManifest(
    name="core_events",
    title="Domain event delivery",
    version="0.1.0",
    description="Relays the outbox and delivers each event to every plugin's jobs_handle_event, one job per plugin.",
    core=True,
)

RELAY_JOB = "core.relay_outbox"
log = structlog.get_logger("shopwright.events")


async def dispatch_event(ctx, event_id: int) -> list[str]:
    """Enqueue one delivery per subscribed (active) plugin; returns their names.
    Safe to re-run: deliveries already queued, running or kept are not
    enqueued again."""
    host = ctx["runtime"].host
    event = await load_event(event_id)
    if event is None:
        log.warning("event.missing", event_id=event_id)
        return []
    subscribers = host.event_subscribers(event.name)
    for plugin in subscribers:
        await ctx["queue"].enqueue(DELIVER_JOB, event_id, plugin, _job_id=delivery_job_id(event_id, plugin))
    return subscribers


async def deliver_event(ctx, event_id: int, plugin: str) -> None:
    """Call one plugin's ``jobs_handle_event``; an exception is retried with
    backoff (the job wrapper's rule). Dropped when the plugin was disabled."""
    event = await load_event(event_id)
    if event is None:
        log.warning("event.missing", event_id=event_id, plugin=plugin)
        return
    host = ctx["runtime"].host
    if not host.is_active(plugin):
        log.warning("event.dropped", event_id=event_id, event=event.name, plugin=plugin, reason="plugin disabled")
        return
    await host.hook_plugin("jobs_handle_event", plugin, event=event, runtime=ctx["runtime"])


async def relay(ctx) -> int:
    """Safety net: relays events a stopped process left behind."""
    return await relay_outbox(ctx["queue"])


@hookimpl
def jobs_register():
    return [
        JobDefinition(name=DISPATCH_JOB, func=dispatch_event),
        JobDefinition(name=DELIVER_JOB, func=deliver_event),
        JobDefinition(name=RELAY_JOB, func=relay, max_tries=1, cron={"second": {0, 30}}),
    ]
