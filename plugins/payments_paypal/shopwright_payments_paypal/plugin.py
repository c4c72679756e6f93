"""The ``payments_paypal`` plugin: manifest and hook implementations.

This release ships the plugin's identity and settings only; it offers no
payment gateway yet, so enabling it changes nothing at checkout.
"""
from __future__ import annotations

from engine import PluginManifest

from shopwright_payments_paypal.settings import PayPalSettings

MANIFEST = PluginManifest(
    name="payments_paypal",
    title="PayPal",
    version="0.1.0",
    engine=">=0.1,<1",
    description="PayPal Checkout through the PayPal REST Orders v2 API; the buyer approves on PayPal.",
    settings=PayPalSettings,
)
