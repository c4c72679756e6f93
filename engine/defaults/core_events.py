"""Core jobs that turn outbox events into per-plugin event deliveries."""
from __future__ import annotations

import structlog

from engine import PluginManifest, hookimpl
from engine.outbox import DISPATCH_JOB, load_event, relay_outbox
from engine.protocols import JobDefinition

MANIFEST = PluginManifest(
    name="core_events",
    title="Domain event delivery",
    version="0.1.0",
    description="Relays the outbox and delivers each event to every plugin's jobs_handle_event, one job per plugin.",
    core=True,
)

DELIVER_JOB = "core.deliver_event"
log = structlog.get_logger("shopwright.events")


async def dispatch_event(ctx, event_id: int) -> list[str]:
    """Fan one event out: one ``core.deliver_event`` job per subscribed plugin,
    deduped by ``event:<id>:<plugin>`` so a re-run dispatch enqueues nothing new."""
    host = ctx["runtime"].host
    subscribers = host.subscribers("jobs_handle_event")
    for plugin in subscribers:
        await ctx["queue"].enqueue(DELIVER_JOB, event_id, plugin, _job_id=f"event:{event_id}:{plugin}")
    return subscribers


async def deliver_event(ctx, event_id: int, plugin: str) -> None:
    event = await load_event(event_id)
    if event is None:
        log.warning("event.missing", event_id=event_id)
        return
    host = ctx["runtime"].host
    if not host.is_active(plugin):
        log.warning("event.dropped", event_id=event_id, plugin=plugin, reason="plugin disabled")
        return
    await host.call_plugin("jobs_handle_event", plugin, event=event)


async def relay(ctx) -> int:
    """Safety net: relays events a crashed process left behind."""
    return await relay_outbox(ctx["queue"])


@hookimpl
def jobs_register():
    return [
        JobDefinition(name=DISPATCH_JOB, func=dispatch_event),
        JobDefinition(name=DELIVER_JOB, func=deliver_event),
        JobDefinition(name="core.relay_outbox", func=relay, max_tries=1, cron={"second": {0, 30}}),
    ]
