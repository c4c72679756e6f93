"""A discount plugin for tests/test_live_install.py: takes ``amount`` minor units
(default 100) off every cart, labelled "Installed while running"."""
from __future__ import annotations

from pydantic import BaseModel, Field

from engine import Money, PluginManifest, hookimpl
from engine.protocols import Adjustment

LABEL = "Installed while running"


class LiveDiscountSettings(BaseModel):
    amount: int = Field(100, ge=0)


MANIFEST = PluginManifest(
    name="live_discount",
    title="Live discount (tests)",
    version="0.1.0",
    engine=">=0.1,<1",
    settings=LiveDiscountSettings,
)


@hookimpl
def pricing_adjustments(lines, context, settings):
    if not lines:
        return None
    return [Adjustment(label=LABEL, amount=Money(-settings.amount, context["currency"]), source=MANIFEST.name)]
