"""What staff, payment webhooks and jobs do to orders: mark paid, capture,
refund, cancel, fulfil, complete, expire.

Each action is one database transaction that re-reads the order, checks the
state machine (:mod:`engine.orders.transitions`), changes stock
(:mod:`engine.orders.stock`) and payment records, writes the timeline and the
outbox event, then wakes the relay. Gateway calls happen before (refund,
capture: nothing is recorded when the provider refuses) or after the
transaction (cancel: best effort, the outcome goes on the timeline).

Events: ``order_paid``, ``order_refunded`` (``amount``), ``order_cancelled``
(``refunded``), ``shipment_created`` (``fulfillment_id``, ``lines``,
``tracking_number``, ``carrier``), ``order_completed``; each payload also has
``order_id``, ``number``, ``status`` and ``previous_status``.

``actor`` strings: ``customer``, ``system``, ``token:<name>``,
``staff:<id>``, ``webhook:<plugin>``.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import structlog

from engine.db.sql import fetch, fetchone
from engine.errors import IllegalTransition, InvalidInput
from engine.money import Money
from engine.orders import stock
from engine.orders.services import order_row
from engine.orders.transitions import PAID_STATES, record, transition
from engine.payments import records

log = structlog.get_logger("shopwright.orders")

REFUNDABLE = ("paid", "partially_fulfilled", "fulfilled", "completed", "partially_refunded")
FULFILLABLE = ("paid", "partially_fulfilled", "partially_refunded")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def actor_label(actor: Mapping[str, Any] | None) -> str:
    """A timeline label for an authenticated actor (an API token or staff member)."""
    if not actor:
        return "system"
    if actor.get("kind") == "token":
        return f"token:{actor.get('name') or actor.get('id')}"
    return f"{actor.get('kind', 'staff')}:{actor.get('name') or actor.get('email') or actor.get('id')}"


# ---------------------------------------------------------------- payment
async def mark_paid_in_tx(order: dict[str, Any], actor: str, note: str = "", amount: int | None = None,
                          reference: str | None = None) -> tuple[dict[str, Any], bool]:
    """Inside a transaction: pending_payment → paid; reservations become
    deductions. Already paid (or further): unchanged, ``(order, False)``."""
    if order["status"] in PAID_STATES:
        return order, False
    if order["status"] != "pending_payment":
        raise IllegalTransition(f"Order {order['number']} is {order['status']}; it cannot be marked paid.",
                                {"status": f"{order['status']} → paid is not allowed"})
    amount = order["total"] if amount is None else amount
    updated = await transition(order, "paid", actor, note or "Payment received.", event="order_paid",
                               payload={"amount": amount, "currency": order["currency"]},
                               set_values={"paid_amount": amount})
    payment = await records.latest(order["id"])
    if payment is not None:
        values: dict[str, Any] = {"status": "paid", "captured_amount": amount}
        if reference and not payment["reference"]:
            values["reference"] = reference
        await records.update(payment["id"], **values)
    deducted = await stock.deduct(order["id"])
    await record(order["id"], "payment", actor, f"{Money(amount, order['currency']).as_decimal()} "
                 f"{order['currency']} received.", data={"amount": amount, "deducted_units": deducted})
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
    """Inside a transaction: record a refund of ``amount`` (already made)."""
    refunded = order["refunded_amount"] + amount
    new = "refunded" if refunded >= order["paid_amount"] else "partially_refunded"
    updated = await transition(order, new, actor, note or "Refund issued.", event="order_refunded",
                               payload={"amount": amount, "currency": order["currency"], "refunded_total": refunded},
                               set_values={"refunded_amount": refunded},
                               guard={"refunded_amount": order["refunded_amount"]})
    payment = await records.latest(order["id"])
    if payment is not None:
        total = payment["refunded_amount"] + amount
        await records.update(payment["id"], refunded_amount=total,
                             status="refunded" if total >= payment["captured_amount"] else "partially_refunded")
    await record(order["id"], "refund", actor, f"{Money(amount, order['currency']).as_decimal()} "
                 f"{order['currency']} refunded.", data={"amount": amount})
    return updated


def _refund_amount(order: dict[str, Any], amount: Any) -> int:
    remaining = order["paid_amount"] - order["refunded_amount"]
    if amount is None:
        amount = remaining
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput("The refund amount must be whole minor units.", {"amount": "must be an integer"})
    if amount < 1 or amount > remaining:
        raise InvalidInput(f"The refund amount must be between 1 and {remaining} (what is left of the payment).",
                           {"amount": f"must be between 1 and {remaining}"})
    return amount


async def refund(runtime, number: str, actor: str, amount: int | None = None, note: str = "") -> dict[str, Any]:
    """Refund ``amount`` minor units (default: all that is left) through the
    gateway, then record it: partially_refunded or refunded."""
    order = await order_row(number)
    if order["status"] not in REFUNDABLE:
        raise IllegalTransition(f"Order {number} is {order['status']}; it cannot be refunded.",
                                {"status": f"{order['status']} → refunded is not allowed"})
    amount = _refund_amount(order, amount)
    payment = await records.latest(order["id"])
    if payment is not None:
        entry = await records.gateway_for(runtime, payment)
        await records.call_gateway(runtime, entry, "refund", lambda: entry.gateway.refund(
            payment["reference"] or "", Money(amount, order["currency"])))
    async with runtime.database.transaction():
        order = await order_row(number)
        if order["status"] not in REFUNDABLE or amount > order["paid_amount"] - order["refunded_amount"]:
            await record(order["id"], "note", actor, f"A refund of {amount} was made at the provider but the order "
                         f"changed meanwhile ({order['status']}); check the payment.")
            raise IllegalTransition(f"Order {number} changed while the refund was made; the provider refunded "
                                    f"{amount}, the order was not updated.")
        updated = await refund_in_tx(order, amount, actor, note)
    runtime.events_committed()
    return updated


# ---------------------------------------------------------------- cancel
async def cancel_pending_in_tx(order: dict[str, Any], actor: str, note: str) -> dict[str, Any]:
    """Inside a transaction: pending_payment → cancelled, reservations released."""
    updated = await transition(order, "cancelled", actor, note, event="order_cancelled",
                               payload={"refunded": 0, "reason": note}, expect=["pending_payment"])
    released = await stock.release(order["id"])
    payment = await records.latest(order["id"])
    if payment is not None and payment["status"] in ("pending", "authorized", "failed"):
        await records.update(payment["id"], status="cancelled")
    await record(order["id"], "reservation", actor, f"{released} reserved unit(s) released.",
                 data={"released_units": released})
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
    if order["status"] != "paid" or order["refunded_amount"]:
        raise IllegalTransition(f"Order {number} is {order['status']}; it cannot be cancelled"
                                + (" (refund it instead)." if order["status"] in PAID_STATES else "."),
                                {"status": f"{order['status']} → cancelled is not allowed"})
    amount = order["paid_amount"]
    if payment is not None and amount:
        entry = await records.gateway_for(runtime, payment)
        await records.call_gateway(runtime, entry, "refund", lambda: entry.gateway.refund(
            payment["reference"] or "", Money(amount, order["currency"])))
    async with runtime.database.transaction():
        order = await order_row(number)
        updated = await transition(order, "cancelled", actor, note, event="order_cancelled",
                                   payload={"refunded": amount, "reason": note}, expect=["paid"],
                                   set_values={"refunded_amount": amount}, guard={"refunded_amount": 0})
        restocked = await stock.restock(order["id"])
        if payment is not None:
            await records.update(payment["id"], status="refunded", refunded_amount=amount)
        await record(order["id"], "refund", actor, f"{Money(amount, order['currency']).as_decimal()} "
                     f"{order['currency']} refunded; {restocked} unit(s) back in stock.",
                     data={"amount": amount, "restocked_units": restocked})
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


# ---------------------------------------------------------------- fulfilment
async def fulfill(runtime, number: str, actor: str, lines: Sequence[Mapping[str, Any]] | None = None,
                  tracking_number: str | None = None, carrier: str | None = None) -> dict[str, Any]:
    """Ship ``lines`` (``[{sku, quantity}]``; None: everything not yet shipped).
    Moves the order to partially_fulfilled or fulfilled and emits
    ``shipment_created``."""
    async with runtime.database.transaction():
        order = await order_row(number)
        if order["status"] not in FULFILLABLE:
            raise IllegalTransition(f"Order {number} is {order['status']}; it cannot be fulfilled.",
                                    {"status": f"{order['status']} → fulfilled is not allowed"})
        stored = {l["sku"]: l for l in await fetch("SELECT id, sku, quantity, fulfilled_quantity FROM order_lines "
                                                   "WHERE order_id = {} ORDER BY position, id", order["id"])}
        wanted = _fulfilment_lines(stored, lines)
        for index, (sku, quantity) in enumerate(wanted):
            row = await fetchone("UPDATE order_lines SET fulfilled_quantity = fulfilled_quantity + {} WHERE id = {} "
                                 "AND fulfilled_quantity + {} <= quantity RETURNING id", quantity, stored[sku]["id"],
                                 quantity)
            if row is None:
                left = stored[sku]["quantity"] - stored[sku]["fulfilled_quantity"]
                raise InvalidInput(f"Only {left} of {sku} are left to fulfil.",
                                   {f"lines.{index}.quantity": f"only {left} left to fulfil"})
        remaining = await fetchone("SELECT COUNT(*) AS n FROM order_lines WHERE order_id = {} AND "
                                   "fulfilled_quantity < quantity", order["id"])
        new = "partially_fulfilled" if int(remaining["n"]) else "fulfilled"
        shipped = [{"sku": sku, "quantity": quantity} for sku, quantity in wanted]
        created = await fetchone("INSERT INTO order_fulfillments (order_id, lines, tracking_number, carrier, created_at) "
                                 "VALUES ({}, {}, {}, {}, {}) RETURNING id, created_at", order["id"],
                                 json.dumps(shipped), tracking_number or "", carrier or "", _now())
        updated = await transition(
            order, new, actor, f"Shipped {sum(q for _, q in wanted)} unit(s)"
            + (f", tracking {tracking_number}" if tracking_number else "") + ".",
            event="shipment_created", payload={"fulfillment_id": created["id"], "lines": shipped,
                                               "tracking_number": tracking_number, "carrier": carrier})
    runtime.events_committed()
    return updated


def _fulfilment_lines(stored: Mapping[str, Mapping[str, Any]], lines) -> list[tuple[str, int]]:
    if lines is None:
        wanted = [(sku, l["quantity"] - l["fulfilled_quantity"]) for sku, l in stored.items()
                  if l["quantity"] > l["fulfilled_quantity"]]
        if not wanted:
            raise InvalidInput("Everything on this order has been fulfilled.", {"lines": "nothing left to fulfil"})
        return wanted
    if not isinstance(lines, (list, tuple)) or not lines:
        raise InvalidInput("Name the lines to fulfil.", {"lines": "must be a non-empty list of {sku, quantity}"})
    totals: dict[str, int] = {}
    for index, line in enumerate(lines):
        sku = line.get("sku") if isinstance(line, Mapping) else None
        quantity = line.get("quantity") if isinstance(line, Mapping) else None
        if sku not in stored:
            raise InvalidInput(f"{sku!r} is not on this order.", {f"lines.{index}.sku": "not on this order"})
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidInput("Quantities must be whole numbers of at least 1.",
                               {f"lines.{index}.quantity": "must be at least 1"})
        totals[sku] = totals.get(sku, 0) + quantity
    return list(totals.items())


async def complete(runtime, number: str, actor: str, note: str = "") -> dict[str, Any]:
    """fulfilled → completed (delivered, nothing more to do)."""
    async with runtime.database.transaction():
        order = await order_row(number)
        updated = await transition(order, "completed", actor, note or "Order completed.", event="order_completed")
    runtime.events_committed()
    return updated


async def add_note(runtime, number: str, actor: str, note: str) -> None:
    async with runtime.database.transaction():
        order = await order_row(number)
        await record(order["id"], "note", actor, note)

