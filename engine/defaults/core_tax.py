"""Core tax: percentage rates per country/region and tax class (see
:mod:`engine.pricing.tax`). Whether catalog prices include tax is the store's
``checkout.prices_include_tax`` setting.

Configure: ``shopwright plugins configure core_tax rates="DE=19, DE:reduced=7, FR=20"
default_country=DE``.
"""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

from engine import PluginManifest, hookimpl
from engine.pricing.tax import RateTableTax, parse_rates
from engine.protocols import PricingReuse


class TaxSettings(BaseModel):
    #: KEY -> percent, KEY = COUNTRY | COUNTRY-REGION | *, optionally :tax_class.
    rates: dict[str, Decimal] = Field(default_factory=dict)
    #: Country taxed before the shopper's address is known (empty: no tax until then).
    default_country: str = ""
    #: Tax lines read "<label> <rate>%".
    label: str = "Tax"

    @field_validator("rates", mode="before")
    @classmethod
    def _rates(cls, value):
        return parse_rates(value)

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = (value or "").strip().upper()
        if value and not (len(value) == 2 and value.isalpha()):
            raise ValueError("must be an ISO 3166-1 alpha-2 code such as DE")
        return value


MANIFEST = PluginManifest(
    name="core_tax", title="Tax rates", version="0.1.0", core=True, settings=TaxSettings,
    description="Tax by country/region and tax class, for prices entered with or without tax.",
)


@hookimpl
def pricing_tax_provider(context, settings):
    settings = settings or TaxSettings()
    if not settings.rates:
        return None
    return RateTableTax(settings.rates, settings.default_country, settings.label)


@hookimpl
def pricing_reuse():
    """Tax depends on the settings and the priced lines only."""
    return PricingReuse()
