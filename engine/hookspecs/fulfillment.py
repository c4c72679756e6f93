"""Fulfillment hooks: shipping rates. (Shipments reach plugins as `shipment_created` events through `jobs_handle_event`.)"""
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
