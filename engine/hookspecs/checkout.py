"""Checkout hooks: validation before an order is placed."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request")
def checkout_validate(checkout, settings):
    """Validate a checkout before the order is placed.

    Collect-all; may be async; request hook under the deadline, no writes.
    ``checkout`` is a :class:`engine.protocols.CheckoutView`: the e-mail,
    the addresses, the chosen shipping and payment methods, the priced lines
    and the totals. Returns a dict mapping a field name
    (``"shipping_address.postal_code"``, or ``""`` for the whole form) to an
    error message, or None when valid. Any error stops the order and is
    shown on its field. Fails closed: a validator that raises or misses the
    deadline stops the order with an error naming the plugin (HTTP 502).
    """
