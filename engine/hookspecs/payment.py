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
    A gateway's ``capabilities`` (:class:`engine.protocols.GatewayCapabilities`)
    decide what staff and shoppers are offered; every money movement reaches
    it with an idempotency key stored before the call, and answers a
    :class:`engine.protocols.PaymentOutcome` (an exception: outcome unknown,
    retried with the same key). Incoming webhooks to
    ``POST /webhooks/<plugin-name>`` go to the plugin's gateways'
    ``verify_webhook``; the shopper's return to
    ``GET /checkout/return/<plugin-name>`` to ``complete``; the
    reconciliation cron to ``status``. Fails closed: a plugin that raises, misses
    the deadline or returns something else stops the checkout with an error
    naming it (HTTP 502) — no order is placed.
    """
