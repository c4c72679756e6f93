"""Core order housekeeping: the cron job that releases stock reservations of
orders not paid within ``checkout.reservation_minutes`` (and cancels them)."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.payments.actions import SETTLE_JOB, expire_reservations, reconcile, settle_pending
from engine.protocols import JobDefinition

MANIFEST = PluginManifest(
    name="core_orders", title="Order housekeeping", version="0.1.0", core=True,
    description="Releases expired stock reservations of unpaid orders; settles and reconciles payments.",
)

RELEASE_JOB = "core.release_expired_reservations"
RECONCILE_JOB = "core.reconcile_payments"


async def release_expired_reservations(ctx) -> list[str]:
    """Cancel unpaid orders whose reservations expired; idempotent (an order
    already cancelled or paid is skipped)."""
    return await expire_reservations(ctx["runtime"])


async def settle_payment(ctx, transaction_id: int) -> str:
    """Call the gateway again, with the same idempotency key, for a payment
    movement whose outcome was unknown; raises (retried with backoff) while
    the provider still does not answer."""
    return await settle_pending(ctx["runtime"], transaction_id)


async def reconcile_payments(ctx) -> dict[str, int]:
    """Retry movements left pending and ask providers about payments still
    pending (``status``); idempotent."""
    return await reconcile(ctx["runtime"])


@hookimpl
def jobs_register():
    return [JobDefinition(name=RELEASE_JOB, func=release_expired_reservations, max_tries=1,
                          cron={"second": {15}}),
            JobDefinition(name=SETTLE_JOB, func=settle_payment, max_tries=8),
            JobDefinition(name=RECONCILE_JOB, func=reconcile_payments, max_tries=1,
                          cron={"minute": {0, 10, 20, 30, 40, 50}, "second": {45}})]
