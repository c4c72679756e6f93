"""Reading orders: an :class:`OrderSnapshot` by number or id; the lines of
paid orders in bulk (:func:`paid_order_lines`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.orders.snapshots import read_paid_lines, read_snapshot
from engine.protocols import OrderLineSnapshot, OrderSnapshot

__all__ = ["OrderLineSnapshot", "OrderSnapshot", "PaidOrderLine", "order", "paid_order_lines"]


async def order(runtime: Any, number: str | None = None, *, id: int | None = None) -> OrderSnapshot | None:
    """The order with ``number`` (or ``id``: give exactly one) as an
    :class:`~engine.protocols.OrderSnapshot`, or None when there is none.
    Two queries. Raises :class:`~engine.sdk.InvalidInput` for a malformed
    number or id. Example (an event handler exporting paid orders)::

        @hookimpl
        async def jobs_handle_event(event, settings, runtime):
            if event.name == "order_paid":
                order = await sdk.order(runtime, event.payload["number"])
                await push_to_erp(settings, order.to_json(), key=f"order:{order.number}")
    """
    return await read_snapshot(number, id)


@dataclass(frozen=True)
class PaidOrderLine:
    """One line of a paid order, for analysis in bulk (recommendations,
    reports): the order's ``order_id``, ``number``, ``placed_at`` and
    ``customer`` (None for a guest), and the line's ``product_id`` (None when
    the product was deleted), ``sku`` and ``quantity``."""

    order_id: int
    number: str
    placed_at: datetime | None
    customer: int | None
    product_id: int | None
    sku: str
    quantity: int


async def paid_order_lines(runtime: Any, *, after_order_id: int = 0, limit: int = 500) -> list[PaidOrderLine]:
    """The lines of up to ``limit`` (1 to 1,000) paid orders — status
    ``paid``, ``partially_fulfilled``, ``fulfilled``, ``completed`` or
    ``partially_refunded`` — whose id is above ``after_order_id``, in order id
    order (lines of one order together). Two queries. Page on with the last
    line's ``order_id``; an empty list is the end. A bad argument is
    :class:`~engine.sdk.InvalidInput`. Example (every paid order's products)::

        after = 0
        while lines := await sdk.paid_order_lines(runtime, after_order_id=after, limit=1000):
            for line in lines:
                ...
            after = lines[-1].order_id
    """
    return [PaidOrderLine(**row) for row in await read_paid_lines(after_order_id, limit)]
