"""What staff, payment webhooks and jobs do with an order's money: mark paid,
capture, refund, cancel, expire unpaid orders.

Gateway calls may do network I/O, so they never run inside a database
transaction: the action checks the order, calls the gateway (refund,
capture: nothing is recorded when the provider refuses), then records the
result in one transaction that re-reads the order and changes it through the
orders domain (:mod:`engine.orders.actions`) together with the payment
record. A cancellation reaches the gateway after the transaction, best
effort: its outcome goes on the timeline.

``actor`` strings: ``customer``, ``system``, ``token:<name>``,
``staff:<id>``, ``webhook:<plugin>``.
"""
from __future__ import annotations

from typing import Any

from engine.errors import IllegalTransition
from engine.money import Money
from engine.orders import actions as orders
from engine.orders import stock
from engine.orders.services import order_row
from engine.orders.transitions import PAID_STATES, record
from engine.payments import records


async def mark_paid_in_tx(order: dict[str, Any], actor: str, note: str = "", amount: int | None = None,
                          reference: str | None = None) -> tuple[dict[str, Any], bool]:
    """Inside a transaction: the order paid and its latest payment captured
    (``reference`` kept when the payment had none). Idempotent."""
    updated, changed = await orders.mark_paid_in_tx(order, actor, note, amount)
    if not changed:
        return updated, False
    payment = await records.latest(order["id"])
    if payment is not None:
        values: dict[str, Any] = {"status": "paid", "captured_amount": updated["paid_amount"]}
        if reference and not payment["reference"]:
            values["reference"] = reference
        await records.update(payment["id"], **values)
    return updated, True


async def mark_paid(runtime, number: str, actor: str, note: str = "") -> tuple[dict[str, Any], bool]:
    """Record that the money for an order arrived (manual payment). Idempotent."""
    async with runtime.database.transaction():
        order = await order_row(number)
        result = await mark_paid_in_tx(order, actor, note)
    runtime.events_committed()
    return result


async def capture(runtime, number: str, actor: str) -> tuple[dict[str, Any], bool]:
    """Capture an authorized payment through its gateway, then mark the order
    paid. Already paid: unchanged (idempotent)."""
    order = await order_row(number)
    if order["status"] in PAID_STATES:
        return order, False
    if order["status"] != "pending_payment":
        raise IllegalTransition(f"Order {number} is {order['status']}; there is nothing to capture.",
                                {"status": f"{order['status']} → paid is not allowed"})
    payment = await records.latest(order["id"])
    if payment is None or payment["status"] not in ("authorized", "pending"):
        raise IllegalTransition(f"Order {number} has no authorized payment to capture.",
                                {"payment": "no authorized payment"})
    entry = await records.gateway_for(runtime, payment)
    await records.call_gateway(runtime, entry, "capture", lambda: entry.gateway.capture(
        payment["reference"] or "", Money(payment["amount"], payment["currency"])))
    async with runtime.database.transaction():
        order = await order_row(number)
        result = await mark_paid_in_tx(order, actor, f"Payment captured through {entry.id}.", payment["amount"])
    runtime.events_committed()
    return result


async def refund_in_tx(order: dict[str, Any], amount: int, actor: str, note: str = "") -> dict[str, Any]:
    """Inside a transaction: record a refund of ``amount`` (already made at
    the provider) on the order and its latest payment."""
    updated = await orders.refund_in_tx(order, amount, actor, note)
    payment = await records.latest(order["id"])
    if payment is not None:
        total = payment["refunded_amount"] + amount
        await records.update(payment["id"], refunded_amount=total,
                             status="refunded" if total >= payment["captured_amount"] else "partially_refunded")
    return updated


async def refund(runtime, number: str, actor: str, amount: int | None = None, note: str = "") -> dict[str, Any]:
    """Refund ``amount`` minor units (default: all that is left) through the
    gateway, then record it: partially_refunded or refunded."""
    order = await order_row(number)
    orders.check_refundable(order)
    amount = orders.check_refund_amount(order, amount)
    payment = await records.latest(order["id"])
    if payment is not None:
        entry = await records.gateway_for(runtime, payment)
        await records.call_gateway(runtime, entry, "refund", lambda: entry.gateway.refund(
            payment["reference"] or "", Money(amount, order["currency"])))
    async with runtime.database.transaction():
        order = await order_row(number)
        if order["status"] not in orders.REFUNDABLE or amount > order["paid_amount"] - order["refunded_amount"]:
            await record(order["id"], "note", actor, f"A refund of {amount} was made at the provider but the order "
                         f"changed meanwhile ({order['status']}); check the payment.")
            raise IllegalTransition(f"Order {number} changed while the refund was made; the provider refunded "
                                    f"{amount}, the order was not updated.")
        updated = await refund_in_tx(order, amount, actor, note)
    runtime.events_committed()
    return updated


async def cancel_pending_in_tx(order: dict[str, Any], actor: str, note: str) -> dict[str, Any]:
    """Inside a transaction: an unpaid order cancelled (reservations released)
    and its open payment marked cancelled."""
    updated = await orders.cancel_pending_in_tx(order, actor, note)
    payment = await records.latest(order["id"])
    if payment is not None and payment["status"] in ("pending", "authorized", "failed"):
        await records.update(payment["id"], status="cancelled")
    return updated


async def cancel(runtime, number: str, actor: str, note: str = "") -> dict[str, Any]:
    """Cancel an unpaid order (stock released, the gateway's payment cancelled)
    or a paid order that has not shipped (refunded in full, stock put back)."""
    order = await order_row(number)
    note = note or "Order cancelled."
    payment = await records.latest(order["id"])
    if order["status"] == "pending_payment":
        async with runtime.database.transaction():
            order = await order_row(number)
            updated = await cancel_pending_in_tx(order, actor, note)
        runtime.events_committed()
        await _cancel_at_gateway(runtime, order, payment, actor)
        return updated
    orders.check_cancellable_when_paid(order)
    amount = order["paid_amount"]
    if payment is not None and amount:
        entry = await records.gateway_for(runtime, payment)
        await records.call_gateway(runtime, entry, "refund", lambda: entry.gateway.refund(
            payment["reference"] or "", Money(amount, order["currency"])))
    async with runtime.database.transaction():
        order = await order_row(number)
        updated = await orders.cancel_paid_in_tx(order, actor, note, amount)
        if payment is not None:
            await records.update(payment["id"], status="refunded", refunded_amount=amount)
    runtime.events_committed()
    return updated


async def _cancel_at_gateway(runtime, order: dict[str, Any], payment: dict[str, Any] | None, actor: str) -> None:
    if payment is None or not payment["reference"]:
        return
    try:
        entry = await records.gateway_for(runtime, payment)
        await records.call_gateway(runtime, entry, "cancellation",
                                   lambda: entry.gateway.cancel(payment["reference"]))
    except Exception as exc:  # the order is cancelled either way; staff see why on the timeline
        async with runtime.database.transaction():
            await record(order["id"], "note", actor, f"The payment could not be cancelled at the provider: {exc}")


async def expire_reservations(runtime, limit: int = 100) -> list[str]:
    """Cancel orders still awaiting payment whose reservations expired and
    release their stock. Returns the numbers cancelled (cron job)."""
    done = []
    minutes = runtime.settings.checkout.reservation_minutes
    for item in await stock.expired_orders(limit=limit):
        payment = None
        try:
            async with runtime.database.transaction():
                order = await order_row(item["number"])
                if order["status"] != "pending_payment":
                    continue
                payment = await records.latest(order["id"])
                await cancel_pending_in_tx(order, "system",
                                           f"No payment within {minutes} minutes: reservation expired.")
        except IllegalTransition:
            continue
        runtime.events_committed()
        await _cancel_at_gateway(runtime, order, payment, "system")
        done.append(item["number"])
    return done
