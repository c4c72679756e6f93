"""Fulfillment hooks: shipping rates and labels. (Shipments reach plugins as `shipment_created`, `shipment_shipped` and `shipment_status_changed` events through `jobs_handle_event`.)"""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request", on_failure="skip")
def fulfillment_shipping_providers(settings):
    """Shipping rate providers this plugin offers, configured from ``settings``.

    Collect-all; may be async; request hook. Returns a list of
    :class:`engine.protocols.ShippingRateProvider`. Their ``quotes`` get a
    :class:`engine.protocols.ShippingQuoteRequest` and are gathered
    concurrently in the request, each under the hook deadline. A plugin that
    raises here, or a provider whose ``quotes`` raises, misses the deadline
    or returns something other than ``ShippingQuote``s, is left out (logged,
    recorded, listed as unavailable) and the other methods still show.
    """


@spec("collect", "request", on_failure="skip")
def fulfillment_label_providers(settings):
    """Label providers this plugin offers (e.g. a carrier plugin that buys real
    labels), configured from ``settings``.

    Collect-all; may be async; request hook (staff asking for a shipment's
    ``label.pdf``). Returns a list of :class:`engine.protocols.LabelProvider`.
    The core asks them in hook order with a
    :class:`engine.protocols.ShipmentDocument`, each under the hook deadline;
    the first that returns PDF bytes (starting ``%PDF-``) makes the label.
    One that returns None does not label this shipment; one that raises,
    misses the deadline or returns something else is skipped (logged,
    recorded). Without an answer the core draws its generic label (order
    number, addresses, lines, weight, tracking number and a barcode).
    Buying must be idempotent on the document's ``idempotency_key``.

    Example::

        @hookimpl
        def fulfillment_label_providers(settings):
            return [AcmeLabels(settings.api_base, settings.api_key)]
    """


@spec("collect", "request", on_failure="skip")
def fulfillment_tracking_providers(settings):
    """Tracking providers this plugin offers: they read a carrier's signed
    status webhooks, which arrive at ``POST /webhooks/<plugin name>``.

    Collect-all; may be async; request hook (the webhook's request). Returns
    a list of :class:`engine.protocols.TrackingProvider`. The core hands the
    raw body and headers to the plugin's providers in order until one
    verifies them (``ValueError``: not this one; none verifies: 400, nothing
    changes), then moves each reported shipment forward. Applying is
    idempotent: a repeated or older status changes nothing, an unknown
    tracking number is ignored, so the carrier may redeliver freely. A
    plugin that offers tracking providers receives no payment webhooks at
    that address.

    Example::

        @hookimpl
        def fulfillment_tracking_providers(settings):
            return [AcmeTracking(settings.webhook_secret)]
    """
