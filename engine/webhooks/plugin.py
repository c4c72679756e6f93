"""Core default plugin ``core_webhooks``: turns domain events into webhook
deliveries and runs the delivery jobs (see :mod:`engine.webhooks.delivery`)."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.protocols import JobDefinition
from engine.webhooks import delivery

MANIFEST = PluginManifest(
    name="core_webhooks",
    title="Outgoing webhooks",
    version="0.1.0",
    description="Signed, retried webhook deliveries to the URLs merchants subscribe to event types.",
    core=True,
)


async def deliver_job(ctx, delivery_id: int) -> str:
    """One attempt of one delivery (when due); schedules its own next try."""
    return await delivery.deliver(ctx["runtime"], delivery_id)


async def sweep_job(ctx) -> int:
    """Safety net: schedules due deliveries whose job was lost."""
    return await delivery.sweep(ctx["runtime"])


@hookimpl
def jobs_register():
    return [
        JobDefinition(name=delivery.DELIVER_JOB, func=deliver_job),
        JobDefinition(name=delivery.SWEEP_JOB, func=sweep_job, max_tries=1, cron={"second": {15, 45}}),
    ]


@hookimpl
async def jobs_handle_event(event, runtime):
    await delivery.record_event(runtime, event)
