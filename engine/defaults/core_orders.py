"""Core order housekeeping: the cron job that releases stock reservations of
orders not paid within ``checkout.reservation_minutes`` (and cancels them)."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.payments.actions import expire_reservations
from engine.protocols import JobDefinition

MANIFEST = PluginManifest(
    name="core_orders", title="Order housekeeping", version="0.1.0", core=True,
    description="Releases expired stock reservations of unpaid orders.",
)

RELEASE_JOB = "core.release_expired_reservations"


async def release_expired_reservations(ctx) -> list[str]:
    """Cancel unpaid orders whose reservations expired; idempotent (an order
    already cancelled or paid is skipped)."""
    return await expire_reservations(ctx["runtime"])


@hookimpl
def jobs_register():
    return [JobDefinition(name=RELEASE_JOB, func=release_expired_reservations, max_tries=1,
                          cron={"second": {15}})]
