"""Checkout hooks: validation and checkout-time events."""
from __future__ import annotations

from engine import hookspec


@hookspec
def checkout_validate(checkout):
    """Validate a checkout before the order is placed.

    Collect-all; may be async; request hook under the deadline, no writes.
    ``checkout`` is a dict (email, addresses, lines, totals, methods). Returns a
    dict mapping a field name (``"shipping_address.postal_code"``, or ``""`` for
    the whole form) to an error message, or None when valid. Any error stops
    the order and is shown on its field.
    """


@hookspec
def checkout_order_placed(order):
    """Called inside the place-order transaction, after the order and its lines
    are written and before commit.

    Collect-all; may be async; request hook: fast, database writes only through
    the core's services (they join the transaction), no network. An exception
    rolls the whole order back. Use ``jobs_handle_event`` for slow reactions.
    """
