"""Core promotions: percentage / fixed off the order, a product, a category or a
collection; buy X get Y; free shipping; voucher codes with dates, usage limits,
a minimum subtotal and stacking rules (see :mod:`engine.pricing.promotions`).
Promotions are managed through ``/api/v1/admin/promotions``."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.pricing import promotions
from engine.protocols import PricingReuse

MANIFEST = PluginManifest(
    name=promotions.SOURCE, title="Promotions and vouchers", version="0.1.0", core=True,
    description="Discounts, buy X get Y, free shipping and voucher codes.",
)


@hookimpl
async def pricing_adjustments(lines, context):
    evaluation = await promotions.adjustments_for(lines, context)
    return evaluation.adjustments


@hookimpl
async def pricing_reuse(context):
    """Promotions depend on their rows, voucher usage (both counted) and time."""
    return PricingReuse(until=await promotions.reuse_until(context.get("vouchers") or ()))
