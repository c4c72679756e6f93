"""Reading orders: an :class:`OrderSnapshot` by number or id; the lines of
paid orders in bulk (:func:`paid_order_lines`); holding an order for review
(:func:`hold_order`, :func:`order_holds`); a shopper's failed payments
(:func:`failed_payments`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.orders import holds
from engine.orders.services import order_row
from engine.orders.snapshots import read_paid_lines, read_snapshot
from engine.payments.records import failed_for_email
from engine.protocols import OrderLineSnapshot, OrderSnapshot

__all__ = ["OrderHold", "OrderLineSnapshot", "OrderSnapshot", "PaidOrderLine", "failed_payments", "hold_order",
           "order", "order_holds", "paid_order_lines"]


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


@dataclass(frozen=True)
class OrderHold:
    """A hold on an order for review (see :func:`hold_order`): placed by
    ``plugin`` with a ``code``, a ``score`` (0–100) and ``reasons``;
    ``status`` ``open``, ``released`` (staff approved) or ``cancelled`` (the
    order was cancelled; ``fraud`` when staff said it was fraudulent)."""

    id: int
    code: str
    plugin: str
    score: int
    reasons: tuple[str, ...]
    status: str
    fraud: bool


def _hold(data: dict[str, Any]) -> OrderHold:
    return OrderHold(id=data["id"], code=data["code"], plugin=data["plugin"], score=data["score"],
                     reasons=tuple(data["reasons"]), status=data["status"], fraud=data["fraud"])


async def hold_order(runtime: Any, order: OrderSnapshot, *, plugin: str, code: str, score: int,
                     reasons: list[str] | tuple[str, ...]) -> OrderHold:
    """Hold ``order`` for review: until staff approve it (or cancel the
    order) its payment is not captured and nothing is shipped — both are
    refused with 409 "order is held for review". A gateway that takes the
    money at checkout still takes it; the hold then still blocks shipping.
    ``plugin`` is your plugin's name; ``code`` what kind of review (1 to 64
    of ``a-z0-9_.-``); ``score`` 0 to 100; ``reasons`` up to 20 sentences
    staff read on the order page. Holding again with the same plugin and
    code while the first hold is open returns the first. Bad arguments are
    :class:`~engine.sdk.InvalidInput`. Emits ``order_held``; staff's decision
    emits ``order_hold_released`` (``resolution``: ``released``,
    ``cancelled`` or ``fraud``). Called in ``orders_placing`` it joins the
    order's transaction, so the order is held from the moment it exists;
    elsewhere it runs in a transaction of its own. Example::

        @hookimpl
        async def orders_placing(order, settings, runtime):
            if order.total.amount > settings.review_above:
                await sdk.hold_order(runtime, order, plugin="bigspender", code="large_order", score=60,
                                     reasons=["Order total above the review limit."])
    """
    async with runtime.database.transaction():
        placed = await holds.place_in_tx({"id": order.id, "number": order.number}, plugin, code, score, reasons)
    return _hold(placed)


async def order_holds(runtime: Any, number: str) -> list[OrderHold]:
    """Every hold of order ``number``, oldest first (NotFound when there is
    no such order). Example::

        if any(hold.status == "open" for hold in await sdk.order_holds(runtime, number)):
            ...
    """
    return [_hold(data) for data in await holds.holds_of((await order_row(number))["id"])]


async def failed_payments(runtime: Any, email: str, *, since: datetime | None = None) -> int:
    """How many payments of orders placed with ``email`` (compared in lower
    case) the payment provider refused, created at or after ``since`` (an
    aware datetime) when given. One query; card data is never exposed.
    Example (in ``orders_placing``)::

        if await sdk.failed_payments(runtime, order.email, since=order.placed_at - timedelta(days=1)) >= 3:
            ...
    """
    return await failed_for_email(email, since)
