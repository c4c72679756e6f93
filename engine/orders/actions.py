"""What happens to an order: paid, refunded, cancelled, fulfilled, completed.

The ``*_in_tx`` steps run inside the caller's transaction: they check the
state machine (:mod:`engine.orders.transitions`), change stock
(:mod:`engine.orders.stock`), write the timeline and the outbox event. The
money side — gateway calls and payment records — is the payments domain's
(:mod:`engine.payments.actions`), which calls these steps in its own
transactions. Fulfilment, completion and notes are whole actions here: one
transaction each, then the relay is woken.

Events: ``order_paid``, ``order_refunded`` (``amount``), ``order_cancelled``
(``refunded``, ``reason``, ``fraud``), ``shipment_created`` (``fulfillment_id``, ``lines``,
``shipment_status``, ``tracking_number``, ``carrier``, ``service``,
``tracking_url``, ``warehouse``), ``shipment_shipped`` (the same, when the
shipment is handed to the carrier; see :mod:`engine.orders.shipments`),
``order_completed``, ``order_marked_fraudulent`` (:func:`mark_fraudulent`); each payload also has
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
from engine import outbox
from engine.orders import holds, shipments, stock
from engine.orders.services import order_row
from engine.orders.transitions import PAID_STATES, record, transition

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
async def mark_paid_in_tx(order: dict[str, Any], actor: str, note: str = "",
                          amount: int | None = None) -> tuple[dict[str, Any], bool]:
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
    deducted = await stock.deduct(order["id"])
    await record(order["id"], "payment", actor, f"{Money(amount, order['currency']).as_decimal()} "
                 f"{order['currency']} received.", data={"amount": amount, "deducted_units": deducted})
    return updated, True


async def change_payment_method_in_tx(order: dict[str, Any], method: str, plugin: str, actor: str) -> dict[str, Any]:
    """Inside a transaction, the order locked: an order awaiting payment is
    to be paid with ``method`` (of ``plugin``) from now on; a timeline entry
    says from what to what. IllegalTransition once it no longer awaits payment."""
    if order["status"] != "pending_payment":
        raise IllegalTransition(f"Order {order['number']} is {order['status']}; its payment method can no longer "
                                "be changed.", {"payment_method": f"the order is {order['status']}"})
    row = await fetchone("UPDATE orders SET payment_method = {}, payment_plugin = {}, updated_at = {} WHERE id = {} "
                         "RETURNING *", method, plugin, _now(), order["id"])
    await record(order["id"], "payment", actor, f"Payment method changed from {order['payment_method']} to {method}.",
                 data={"from": order["payment_method"], "to": method})
    return row


async def set_paid_amount_in_tx(order: dict[str, Any], paid: int) -> dict[str, Any]:
    """Inside a transaction: a paid order's ``paid_amount`` set to ``paid``
    (a further capture of the same payment); the status does not change."""
    row = await fetchone("UPDATE orders SET paid_amount = {}, updated_at = {} WHERE id = {} RETURNING *",
                         paid, _now(), order["id"])
    return row or order


def check_refund_amount(order: dict[str, Any], amount: Any) -> int:
    """``amount`` (default: all that is left of the payment) checked against the order."""
    remaining = order["paid_amount"] - order["refunded_amount"]
    if amount is None:
        amount = remaining
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput("The refund amount must be whole minor units.", {"amount": "must be an integer"})
    if amount < 1 or amount > remaining:
        raise InvalidInput(f"The refund amount must be between 1 and {remaining} (what is left of the payment).",
                           {"amount": f"must be between 1 and {remaining}"})
    return amount


def check_refundable(order: dict[str, Any]) -> None:
    if order["status"] not in REFUNDABLE:
        raise IllegalTransition(f"Order {order['number']} is {order['status']}; it cannot be refunded.",
                                {"status": f"{order['status']} → refunded is not allowed"})


async def refund_in_tx(order: dict[str, Any], amount: int, actor: str, note: str = "") -> dict[str, Any]:
    """Inside a transaction: record a refund of ``amount`` (already made at
    the provider): partially_refunded or refunded."""
    refunded = order["refunded_amount"] + amount
    new = "refunded" if refunded >= order["paid_amount"] else "partially_refunded"
    updated = await transition(order, new, actor, note or "Refund issued.", event="order_refunded",
                               payload={"amount": amount, "currency": order["currency"], "refunded_total": refunded},
                               set_values={"refunded_amount": refunded},
                               guard={"refunded_amount": order["refunded_amount"]})
    await record(order["id"], "refund", actor, f"{Money(amount, order['currency']).as_decimal()} "
                 f"{order['currency']} refunded.", data={"amount": amount})
    return updated


# ---------------------------------------------------------------- cancel
async def cancel_pending_in_tx(order: dict[str, Any], actor: str, note: str, fraud: bool = False) -> dict[str, Any]:
    """Inside a transaction: pending_payment → cancelled, reservations released,
    open holds closed (``fraud``: staff cancelled it as fraudulent)."""
    updated = await transition(order, "cancelled", actor, note, event="order_cancelled",
                               payload={"refunded": 0, "reason": note, "fraud": fraud}, expect=["pending_payment"])
    await holds.close_open_in_tx(order, actor, fraud)
    released = await stock.release(order["id"])
    await record(order["id"], "reservation", actor, f"{released} reserved unit(s) released.",
                 data={"released_units": released})
    return updated


def check_cancellable_when_paid(order: dict[str, Any]) -> None:
    """A paid order can be cancelled only before it ships and before any refund."""
    if order["status"] != "paid" or order["refunded_amount"]:
        raise IllegalTransition(f"Order {order['number']} is {order['status']}; it cannot be cancelled"
                                + (" (refund it instead)." if order["status"] in PAID_STATES else "."),
                                {"status": f"{order['status']} → cancelled is not allowed"})


async def cancel_paid_in_tx(order: dict[str, Any], actor: str, note: str, refunded: int,
                            fraud: bool = False) -> dict[str, Any]:
    """Inside a transaction: paid → cancelled with ``refunded`` (already
    refunded at the provider) recorded, the stock put back and open holds
    closed (``fraud``: staff cancelled it as fraudulent)."""
    updated = await transition(order, "cancelled", actor, note, event="order_cancelled",
                               payload={"refunded": refunded, "reason": note, "fraud": fraud}, expect=["paid"],
                               set_values={"refunded_amount": refunded}, guard={"refunded_amount": 0})
    await holds.close_open_in_tx(order, actor, fraud)
    restocked = await stock.restock(order["id"])
    await record(order["id"], "refund", actor, f"{Money(refunded, order['currency']).as_decimal()} "
                 f"{order['currency']} refunded; {restocked} unit(s) back in stock.",
                 data={"amount": refunded, "restocked_units": restocked})
    return updated


# ---------------------------------------------------------------- fulfilment
async def fulfill(runtime, number: str, actor: str, lines: Sequence[Mapping[str, Any]] | None = None,
                  tracking_number: str | None = None, carrier: str | None = None, *, service: str | None = None,
                  tracking_url: str | None = None, warehouse: str | None = None,
                  status: str = "shipped") -> dict[str, Any]:
    """Ship ``lines`` (``[{sku, quantity}]``; None: everything not yet shipped)
    from ``warehouse`` (a code; None: by the allocation rule, see
    :func:`engine.orders.shipments.choose_warehouse`). ``status`` is
    ``shipped`` (handed to the carrier) or ``created`` (packed, awaiting
    pick-up). Moves the order to partially_fulfilled or fulfilled and emits
    ``shipment_created`` (and ``shipment_shipped`` when it is shipped)."""
    if status not in ("created", "shipped"):
        raise InvalidInput("A new shipment is created or shipped.", {"status": "created or shipped"})
    tracking = shipments.clean_tracking(carrier, service, tracking_number, tracking_url)
    async with runtime.database.transaction():
        order = await order_row(number)
        if order["status"] not in FULFILLABLE:
            raise IllegalTransition(f"Order {number} is {order['status']}; it cannot be fulfilled.",
                                    {"status": f"{order['status']} → fulfilled is not allowed"})
        await holds.ensure_not_held(order, "shipped")
        stored = {l["sku"]: l for l in await fetch("SELECT id, sku, quantity, fulfilled_quantity FROM order_lines "
                                                   "WHERE order_id = {} ORDER BY position, id", order["id"])}
        wanted = _fulfilment_lines(stored, lines)
        source = await shipments.choose_warehouse(runtime, [sku for sku, _ in wanted], warehouse)
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
        now = _now()
        created = await fetchone(
            "INSERT INTO order_fulfillments (order_id, lines, tracking_number, carrier, service, tracking_url, status, "
            "warehouse_id, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
            "RETURNING id, created_at", order["id"], json.dumps(shipped), tracking["tracking_number"],
            tracking["carrier"], tracking["service"], tracking["tracking_url"], status, source["id"], now, now)
        payload = {"fulfillment_id": created["id"], "lines": shipped, "shipment_status": status,
                   "tracking_number": tracking["tracking_number"] or None, "carrier": tracking["carrier"] or None,
                   "service": tracking["service"] or None, "tracking_url": tracking["tracking_url"] or None,
                   "warehouse": source["code"]}
        updated = await transition(
            order, new, actor, f"{'Shipped' if status == 'shipped' else 'Packed'} {sum(q for _, q in wanted)} "
            f"unit(s) from {source['name']}"
            + (f", tracking {tracking['tracking_number']}" if tracking["tracking_number"] else "") + ".",
            event="shipment_created", payload=payload)
        if status == "shipped":
            await outbox.emit("shipment_shipped", {**payload, "number": number, "order_id": order["id"],
                                                   "status": new})
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


async def mark_fraudulent(runtime, number: str, actor: str, note: str = "") -> bool:
    """Staff judge order ``number`` fraudulent (a chargeback, a card reported
    stolen): a timeline entry (kind ``fraud``) and the ``order_marked_fraudulent``
    event (``order_id``, ``number``, ``status``, ``note``), for fraud screening
    to learn from. Nothing else changes: refund or cancel it as usual. Marking
    it again changes nothing; returns whether this call marked it."""
    async with runtime.database.transaction():
        order = await order_row(number)
        if await fetchone("SELECT id FROM order_events WHERE order_id = {} AND kind = 'fraud'", order["id"]):
            return False
        await record(order["id"], "fraud", actor, note or "Marked fraudulent.")
        await outbox.emit("order_marked_fraudulent", {"order_id": order["id"], "number": number,
                                                      "status": order["status"], "note": note})
    runtime.events_committed()
    return True


async def add_note(runtime, number: str, actor: str, note: str) -> None:
    async with runtime.database.transaction():
        order = await order_row(number)
        await record(order["id"], "note", actor, note)

