"""Core flat-rate shipping: a fixed price per order, free from a goods total on.

Configure: ``shopwright plugins configure core_shipping price=4.90 free_over=50.00``
(decimal major units of the store currency, stored as minor units; ``free_over=``
empty: never free). The admin's settings form shows and reads them the same way.
"""
from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from engine import PluginManifest, hookimpl
from engine.fulfillment.flat_rate import FlatRate


class FlatRateSettings(BaseModel):
    label: str = "Standard shipping"
    #: Price per order, in minor units of the store currency (typed in major units).
    price: int = Field(490, ge=0, json_schema_extra={"amount": True})
    #: Goods total (after discounts, minor units) from which shipping is free; None: never.
    free_over: int | None = Field(None, ge=0, json_schema_extra={"amount": True})
    #: ISO 3166-1 alpha-2 codes shipped to; empty: everywhere.
    countries: list[str] = Field(default_factory=list)

    @field_validator("free_over", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if isinstance(value, str) and value.strip().lower() in ("", "none", "never") else value

    @field_validator("countries", mode="before")
    @classmethod
    def _countries(cls, value):
        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",")]
        codes = [str(code).strip().upper() for code in value or [] if str(code).strip()]
        for code in codes:
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
        return codes


MANIFEST = PluginManifest(
    name="core_shipping", title="Flat-rate shipping", version="0.1.0", core=True, settings=FlatRateSettings,
    description="One shipping price per order, free over a threshold.",
)


@hookimpl
def fulfillment_shipping_providers(settings):
    settings = settings or FlatRateSettings()
    return [FlatRate(settings.price, settings.free_over, settings.label, settings.countries)]
