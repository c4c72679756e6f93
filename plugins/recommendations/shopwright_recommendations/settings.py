"""The plugin's settings (``shopwright plugins configure recommendations key=value``)."""
from __future__ import annotations

from pydantic import BaseModel, Field


class RecommendationSettings(BaseModel):
    shown: int = Field(4, ge=1, le=12, description="How many products each list shows.")
    co_purchase_weight: int = Field(
        70, ge=0, le=100,
        description="Percent of the 'customers also bought' score from co-purchases; the rest is content similarity.")
    min_orders: int = Field(
        20, ge=0, le=1_000_000,
        description="Below this many paid orders, lists fall back to best sellers in the product's category.")
    train_every_hours: int = Field(6, ge=1, le=24, description="How often the worker retrains (from its next start).")
