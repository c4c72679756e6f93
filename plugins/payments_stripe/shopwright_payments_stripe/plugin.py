"""The ``payments_stripe`` plugin: manifest and hook implementations.

This release ships the plugin's identity and settings only; it offers no
payment gateway yet, so enabling it changes nothing at checkout.
"""
from __future__ import annotations

from engine import PluginManifest

from shopwright_payments_stripe.settings import StripeSettings

MANIFEST = PluginManifest(
    name="payments_stripe",
    title="Stripe",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Card payments through Stripe Payment Intents; card data stays in Stripe-hosted fields.",
    settings=StripeSettings,
)
