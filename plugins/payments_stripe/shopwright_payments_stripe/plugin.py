"""The ``payments_stripe`` plugin: manifest and hook implementations (thin:
the gateway is :mod:`shopwright_payments_stripe.gateway`)."""
from __future__ import annotations

from pathlib import Path

from engine import PluginManifest, hookimpl, sdk
from shopwright_payments_stripe.settings import StripeSettings

MANIFEST = PluginManifest(
    name="payments_stripe",
    title="Stripe",
    version="0.2.0",
    engine=">=0.1,<1",
    description="Card payments through Stripe Payment Intents; card data stays in Stripe-hosted fields.",
    settings=StripeSettings,
    static=Path(__file__).parent / "static",
)


@hookimpl
def payment_gateways(settings):
    """The card gateway, once the secret key is set (unconfigured: none)."""
    settings = settings or StripeSettings()
    if not settings.secret_key:
        return []
    # Imported here, when the plugin is used: the SDK is megabytes that a worker
    # of a shop which never enables the plugin need not hold.
    from shopwright_payments_stripe.gateway import StripeGateway

    return [StripeGateway(settings)]


@hookimpl
def storefront_assets(page, settings):
    """Stripe.js and the payment step's script on the order page, with the
    CSP sources Stripe.js needs (its frames and its API)."""
    settings = settings or StripeSettings()
    if not settings.secret_key:
        return []
    origin = sdk.origin_of(settings.js_url)
    return [
        sdk.script(settings.js_url, pages=("order",),
                   csp={"frame-src": [origin], "connect-src": [origin, settings.api_base]}),
        sdk.script(static="payment-step.js", pages=("order",)),
    ]
