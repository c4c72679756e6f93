"""The ``payments_paypal`` plugin: manifest and hook implementations (thin:
the gateway is :mod:`shopwright_payments_paypal.gateway`)."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from shopwright_payments_paypal.gateway import PayPalGateway
from shopwright_payments_paypal.settings import PayPalSettings

MANIFEST = PluginManifest(
    name="payments_paypal",
    title="PayPal",
    version="0.2.0",
    engine=">=0.1,<1",
    description="PayPal Checkout through the PayPal REST Orders v2 API; the buyer approves on PayPal.",
    settings=PayPalSettings,
)


@hookimpl
def payment_gateways(settings):
    """The PayPal gateway, once the REST app's credentials are set
    (unconfigured: none)."""
    settings = settings or PayPalSettings()
    return [PayPalGateway(settings)] if settings.client_id and settings.client_secret else []
