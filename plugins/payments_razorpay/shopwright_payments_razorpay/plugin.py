"""The ``payments_razorpay`` plugin: manifest and hook implementations (thin:
the gateway is :mod:`shopwright_payments_razorpay.gateway`)."""
from __future__ import annotations

from pathlib import Path

from engine import PluginManifest, hookimpl, sdk
from shopwright_payments_razorpay.settings import RazorpaySettings

MANIFEST = PluginManifest(
    name="payments_razorpay",
    title="Razorpay",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Razorpay Orders and Razorpay Checkout; the shopper pays in Razorpay's own checkout.",
    settings=RazorpaySettings,
    static=Path(__file__).parent / "static",
)


@hookimpl
def payment_gateways(settings):
    """The Razorpay gateway, once the API key is set (unconfigured: none)."""
    settings = settings or RazorpaySettings()
    if not settings.usable():
        return []
    # Imported here, when the plugin is used: the SDK is megabytes that a worker
    # of a shop which never enables the plugin need not hold.
    from shopwright_payments_razorpay.gateway import RazorpayGateway

    return [RazorpayGateway(settings)]


@hookimpl
def storefront_assets(page, settings):
    """checkout.js and the payment step's script on the order page, with the
    CSP sources checkout.js needs (its frames and the API)."""
    settings = settings or RazorpaySettings()
    if not settings.usable():
        return []
    origin = sdk.origin_of(settings.js_url)
    return [
        sdk.script(settings.js_url, pages=("order",),
                   csp={"frame-src": [origin, settings.api_base], "connect-src": [origin, settings.api_base]}),
        sdk.script(static="payment-step.js", pages=("order",)),
    ]
