"""Fulfillment hooks: shipping rates. (Shipments reach plugins as `shipment_created` events through `jobs_handle_event`.)"""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request", implementation="sync", on_failure="skip")
def fulfillment_shipping_providers(settings):
    """Shipping rate providers this plugin offers, configured from ``settings``.

    Collect-all; sync; returns a list of
    :class:`engine.protocols.ShippingRateProvider`. Their ``quotes`` are gathered
    concurrently in the request, each under the hook deadline; a provider that
    misses it or raises is dropped with a warning and the others still show.
    """

