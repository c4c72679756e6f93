"""The ``shipping_rates`` plugin: manifest and hook implementations.

This release ships the plugin's identity and settings only; it quotes no
rates yet, so enabling it changes nothing at checkout.
"""
from __future__ import annotations

from engine import PluginManifest

from shopwright_shipping_rates.settings import ShippingRatesSettings

MANIFEST = PluginManifest(
    name="shipping_rates",
    title="Shipping rates",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Live shipping quotes from a carrier rate API, under a deadline so checkout never waits long.",
    settings=ShippingRatesSettings,
)
