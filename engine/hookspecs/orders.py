"""Order hooks: writing with an order, in its transaction."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request", on_failure="raise")
def orders_placing(order, settings, runtime, placement):
    """An order is being placed: write what must be written with it.

    Collect-all; may be async; request hook under the hook deadline, called
    inside the checkout's database transaction, after the order, its lines
    and its pending payment are written and before stock is reserved (the
    last step). ``order`` is an :class:`engine.protocols.OrderSnapshot`
    (status ``pending_payment``, with its number); ``settings`` the plugin's
    own settings; ``runtime`` the running shop; ``placement`` an
    :class:`engine.protocols.OrderPlacement` (the client's address and the
    channel: storefront or API). Writes to the plugin's own
    tables (Piccolo queries) join the transaction, so they commit with the
    order or not at all. For plugins such as gift cards or loyalty points;
    no network I/O (the shop's write lock is held). Return value ignored.
    Order screening (fraud scoring) belongs here too: ``engine.sdk.hold_order``
    called in this hook holds the order from the moment it exists, before
    its payment starts, so it can be neither captured nor shipped until
    staff approve it.

    Fails closed: an implementation that raises or misses the deadline rolls
    the whole order back — no order, lines, payment, promotion use or
    reservation is written and the cart stays open. Raise
    ``engine.sdk.OrderRefused("message", {"field": "message"})`` to refuse
    with a message for the shopper (409); any other exception answers 502
    naming the plugin ("nothing was ordered"). Example::

        from engine import hookimpl, sdk

        @hookimpl
        async def orders_placing(order, settings):
            code = gift_card_code_of(order)
            if code and not await take_from_gift_card(code, order.total, order.number):
                raise sdk.OrderRefused("The gift card has no balance left.", {"gift_card": "no balance"})
    """
