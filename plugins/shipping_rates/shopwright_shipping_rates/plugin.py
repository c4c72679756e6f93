"""The ``shipping_rates`` plugin: manifest and hook implementations.

It quotes shipping from the merchant's zones and rate tables (its own
tables, imported and exported as CSV with ``shopwright shipping import`` /
``export``), offering each method as ``shipping_rates:<method>``; with
``api_base`` set it also offers a carrier's live rates
(:class:`~shopwright_shipping_rates.carrier.CarrierRates`).
"""
from __future__ import annotations

from pathlib import Path

from engine import PluginManifest, hookimpl

from shopwright_shipping_rates import admin
from shopwright_shipping_rates.carrier import CarrierPool
from shopwright_shipping_rates.commands import shipping
from shopwright_shipping_rates.provider import TableRates
from shopwright_shipping_rates.settings import ShippingRatesSettings

MANIFEST = PluginManifest(
    name="shipping_rates",
    title="Shipping rates",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Shipping rates by zone (countries, postcodes) and by weight, subtotal or items, from CSV rate tables.",
    settings=ShippingRatesSettings,
    piccolo_app="shopwright_shipping_rates.piccolo_app",
    templates=Path(__file__).parent / "templates",
)


#: this process's carrier providers, each with its HTTP client
CARRIERS = CarrierPool()


@hookimpl
async def fulfillment_shipping_providers(settings):
    settings = settings or ShippingRatesSettings()
    return [TableRates(), CARRIERS.provider_for(settings)] if settings.api_base else [TableRates()]


@hookimpl
async def lifecycle_shutdown(runtime):
    await CARRIERS.aclose()


@hookimpl
def admin_pages():
    return admin.pages()


@hookimpl
def cli_commands():
    return [shipping]
