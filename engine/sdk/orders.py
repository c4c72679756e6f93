"""Reading orders: an :class:`OrderSnapshot` by number or id."""
from __future__ import annotations

from typing import Any

from engine.orders.snapshots import read_snapshot
from engine.protocols import OrderLineSnapshot, OrderSnapshot

__all__ = ["OrderLineSnapshot", "OrderSnapshot", "order"]


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
