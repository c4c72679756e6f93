"""Payment hooks."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request")
def payment_gateways(settings):
    """Payment gateways this plugin offers, configured from ``settings`` (the
    plugin's validated settings model, or None).

    Collect-all; may be async; request hook (build objects only, no network).
    Returns a list of :class:`engine.protocols.PaymentGateway`. Gateway ids
    must be unique across plugins; the checkout lists them in hook order.
    Incoming webhooks to ``POST /webhooks/<plugin-name>`` go to the plugin's
    gateways' ``verify_webhook``. Fails closed: a plugin that raises, misses
    the deadline or returns something else stops the checkout with an error
    naming it (HTTP 502) — no order is placed.
    """
