"""What staff, payment webhooks and jobs do with an order's money: mark paid,
capture, refund, cancel, expire unpaid orders, settle unknown outcomes.

Every money movement the shop asks for follows the same path
(:func:`attempt`):

1. in one transaction, the order locked, the request is checked against the
   ledger's totals and the gateway's capabilities, and a ``pending`` ledger row
   with its idempotency key is written (:func:`engine.payments.ledger.open_pending`);
2. after the commit the gateway is called with that key, under
   ``checkout.payment_timeout_seconds``;
3. its :class:`~engine.protocols.PaymentOutcome` settles the row in a second
   transaction and brings the payment and the order up to the ledger
   (:func:`engine.payments.reports.sync`).

A refusal (``failed``) is a 502 naming the plugin, and the order does not
change. An exception or a timeout is an *unknown* outcome: the row stays
pending, the caller gets a 502 saying the movement is pending and will be
retried, and the job ``core.settle_payment`` calls the gateway again with the
same key (the provider answers a repeated key with the first result, so money
never moves twice) until the outcome is known; a webhook reporting the
movement settles the row as well. Retrying the same request (the same capture,
or a refund of the same amount) reuses the pending row and its key.

``actor`` strings: ``customer``, ``system``, ``token:<name>``,
``staff:<id>``, ``webhook:<plugin>``.
"""
from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from engine.errors import (
    Conflict,
    IdempotencyMismatch,
    IllegalTransition,
    InvalidInput,
    PluginFailure,
)
from engine.money import Money
from engine.orders import actions as orders
from engine.orders import holds, stock
from engine.orders.services import lock_order, order_row
from engine.orders.transitions import PAID_STATES, record
from engine.payments import ledger, records, reports, settlement
from engine.payments.gateways import GatewayEntry
from engine.protocols import PaymentOutcome

log = structlog.get_logger("shopwright.payments")

SETTLE_JOB = "core.settle_payment"
#: How long a provider honours an idempotency key (Stripe: 24 hours); after
#: that a movement whose outcome is still unknown is no longer retried.
KEY_LIFETIME_MINUTES = 23 * 60
WHAT = {"capture": "capture", "refund": "refund", "void": "cancellation"}


class MovementPending(PluginFailure):
    """The provider did not answer; the movement is pending and is retried."""

    title = "Payment provider not answering"
    type = "/problems/payment-pending"


# ---------------------------------------------------------------- the path of one movement
async def _call(entry: GatewayEntry, payment: dict[str, Any], row: dict[str, Any]) -> Any:
    gateway, reference, key = entry.gateway, payment["reference"] or "", row["idempotency_key"]
    amount = Money(row["amount"], row["currency"])
    if row["kind"] == "capture":
        return await gateway.capture(reference, amount, key)
    if row["kind"] == "refund":
        return await gateway.refund(reference, amount, key)
    return await gateway.cancel(reference, key)


Apply = Callable[[dict[str, Any], dict[str, Any], dict[str, Any], str], Awaitable[Any]]


async def _sync(order: dict[str, Any], payment: dict[str, Any], row: dict[str, Any], actor: str) -> Any:
    return await reports.sync(order, payment, row, actor, check_amount=False)


async def attempt(runtime, row: dict[str, Any], actor: str, apply: Apply = _sync, retry_later: bool = True) -> str:
    """Call the gateway for the pending ledger ``row`` and settle it.

    Returns the row's status afterwards: ``succeeded``, ``failed``,
    ``pending`` (the provider accepted and settles later), or ``unknown``
    (no answer: the attempt is counted, and with ``retry_later`` the settle
    job is queued). ``apply`` brings the order up to a succeeded row."""
    payment = await records.get(row["payment_id"])
    entry = await records.gateway_for(runtime, payment)
    deadline = runtime.settings.checkout.payment_timeout_seconds
    try:
        outcome = await asyncio.wait_for(_call(entry, payment, row), deadline)
        if not isinstance(outcome, PaymentOutcome):
            raise TypeError(f"returned {outcome!r}, not a PaymentOutcome")
    except Exception as exc:  # noqa: BLE001 — timeout, 5xx, network: the provider may or may not have done it
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        runtime.metrics.payment_calls.labels(entry.id, row["kind"], "unknown").inc()
        log.warning("payment.outcome_unknown", plugin=entry.plugin, transaction=row["id"], kind=row["kind"],
                    error=reason)
        async with runtime.database.transaction():
            await ledger.touch(row["id"], reason)
        if retry_later:
            await _queue_settle(runtime, row["id"], row["attempts"] + 1)
        return "unknown"
    runtime.metrics.payment_calls.labels(entry.id, row["kind"], "failed" if outcome.status == "failed" else "ok").inc()
    amount = outcome.amount.amount if outcome.amount is not None else None
    async with runtime.database.transaction():
        order = await lock_order(row["order_id"])
        payment = await records.get(row["payment_id"])
        settled = await ledger.settle(row, outcome.status, order["number"], outcome.provider_id, amount,
                                      outcome.raw, outcome.message)
        if settled is None:  # a webhook settled it meanwhile
            return (await ledger.get(row["id"]))["status"]
        if settled["status"] == "succeeded":
            await apply(order, payment, settled, actor)
        elif settled["status"] == "failed":
            await record(order["id"], "payment", actor, f"The provider refused the {WHAT[row['kind']]}: "
                         f"{outcome.message or 'no reason given'}.", data={"transaction": row["id"]})
    runtime.events_committed()
    return settled["status"]


async def _queue_settle(runtime, transaction_id: int, attempts: int) -> None:
    backoff = runtime.settings.jobs.retry_backoff_seconds * min(2 ** max(attempts - 1, 0), 64)
    try:
        await runtime.queue.enqueue(SETTLE_JOB, transaction_id, _job_id=f"payment-transaction:{transaction_id}:{attempts}",
                                    _defer_by=backoff)
    except Exception:  # queue down: the reconciliation cron finds the pending row
        log.exception("payment.settle_not_queued", transaction=transaction_id)


def _answer(status: str, entry: GatewayEntry, row: dict[str, Any]) -> None:
    """Raise what the caller is told when a movement did not succeed."""
    what = WHAT[row["kind"]]
    money = Money(row["amount"], row["currency"])
    if status == "unknown":
        raise MovementPending(entry.plugin, f"The payment provider ({entry.plugin}) did not answer the {what} of "
                                            f"{money.as_decimal()} {money.currency}. It is pending and will be retried "
                                            f"with the same idempotency key, so nothing moves twice; sending the "
                                            f"same request again retries it now.")
    if status == "failed":
        raise PluginFailure(entry.plugin, f"The payment provider ({entry.plugin}) refused the {what}"
                                          + (f": {row['error']}" if row.get("error") else "") + ". Nothing was changed.")


async def settle_pending(runtime, transaction_id: int) -> str:
    """The job ``core.settle_payment``: call the gateway again for a pending
    row with its key. Raises while the outcome stays unknown (the job is
    retried with backoff); a settled row is left alone."""
    row = await ledger.get(transaction_id)
    if row is None or row["status"] != "pending":
        return row["status"] if row else "missing"
    status = await attempt(runtime, row, "system", retry_later=False)
    if status == "unknown":
        raise RuntimeError(f"payment transaction {transaction_id}: the provider still does not answer")
    return status


# ---------------------------------------------------------------- staff actions
async def _payment_for(runtime, order: dict[str, Any]) -> tuple[dict[str, Any], GatewayEntry]:
    payment = await records.latest(order["id"])
    if payment is None:
        raise IllegalTransition(f"Order {order['number']} has no payment.", {"payment": "none"})
    return payment, await records.gateway_for(runtime, payment)


def _check_amount(amount: Any, maximum: int, what: str) -> int:
    amount = maximum if amount is None else amount
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(f"The {what} amount must be whole minor units.", {"amount": "must be an integer"})
    if maximum < 1:
        raise InvalidInput(f"Nothing is left to {what}.", {"amount": f"nothing left to {what}"})
    if amount < 1 or amount > maximum:
        raise InvalidInput(f"The {what} amount must be between 1 and {maximum}.",
                           {"amount": f"must be between 1 and {maximum}"})
    return amount


async def mark_paid(runtime, number: str, actor: str, note: str = "") -> tuple[dict[str, Any], bool]:
    """Record that the money for an order arrived outside the shop (bank
    transfer, cash): a capture in the ledger and the order paid. Idempotent."""
    async with runtime.database.transaction():
        order = await lock_order((await order_row(number))["id"])
        if order["status"] in PAID_STATES:
            return order, False
        if order["status"] != "pending_payment":
            raise IllegalTransition(f"Order {number} is {order['status']}; it cannot be marked paid.",
                                    {"status": f"{order['status']} → paid is not allowed"})
        payment = await records.latest(order["id"])
        if payment is None:
            result = await orders.mark_paid_in_tx(order, actor, note)
        else:
            row = await ledger.record_reported(payment, "capture", order["total"], number, None,
                                               f"sw-pay-{payment['id']}-capture-staff", source="staff")
            if row is None:
                return order, False
            result = await reports.sync(order, payment, row, actor, check_amount=False, note=note), True
    runtime.events_committed()
    return result


async def capture(runtime, number: str, actor: str, amount: int | None = None) -> tuple[dict[str, Any], bool]:
    """Capture an authorized payment (all that is left, or ``amount`` where the
    gateway captures partially). Already paid: unchanged (idempotent), unless
    the gateway takes several captures and an ``amount`` is given."""
    payment, entry = await _payment_for(runtime, await order_row(number))
    caps = records.capabilities(entry)
    async with runtime.database.transaction():
        order = await lock_order(payment["order_id"])
        payment = await records.get(payment["id"])
        row = await ledger.pending("capture", payment["id"])
        if row is None:
            if order["status"] in PAID_STATES and (amount is None or not caps.multiple_capture):
                return order, False
            if order["status"] not in ("pending_payment", *PAID_STATES):
                raise IllegalTransition(f"Order {number} is {order['status']}; there is nothing to capture.",
                                        {"status": f"{order['status']} → paid is not allowed"})
            await holds.ensure_not_held(order, "captured")
            if not caps.authorize_then_capture:
                raise Conflict(f"The payment method {entry.id!r} takes the money at checkout; there is nothing "
                               f"to capture.", {"payment": "captures at checkout"})
            if payment["status"] not in ("authorized", "paid"):
                raise IllegalTransition(f"Order {number} has no authorized payment to capture.",
                                        {"payment": "no authorized payment"})
            totals = await ledger.totals(payment["id"])
            left = totals.capturable if totals.authorized else payment["amount"] - totals.captured
            amount = _check_amount(amount, left, "capture")
            if amount < left and not caps.partial_capture:
                raise InvalidInput(f"The payment method {entry.id!r} captures the whole authorized amount only.",
                                   {"amount": f"must be {left}"})
            row = await ledger.open_pending(payment, "capture", amount)
    status = await attempt(runtime, row, actor)
    _answer(status, entry, await ledger.get(row["id"]))
    return await order_row(number), True


async def refund(runtime, number: str, actor: str, amount: int | None = None, note: str = "",
                 request_key: str | None = None) -> dict[str, Any]:
    """Refund ``amount`` minor units (default: all that is left) through the
    gateway: partially_refunded or refunded. Never more than was captured
    and not yet refunded; a refund still pending counts as made, and asking
    for the same amount again retries it with its key. ``request_key`` (the
    client's ``Idempotency-Key``): the same key again answers the first
    refund's result (retrying it while pending) and never refunds twice; with
    another amount it is refused (422)."""
    order = await order_row(number)
    payment, entry = await _payment_for(runtime, order)
    key = _request_key(payment, request_key)
    earlier = await ledger.by_key(key) if key else None
    if earlier is None:
        orders.check_refundable(order)
    caps = records.capabilities(entry)
    if not caps.refund:
        raise Conflict(f"The payment method {entry.id!r} cannot refund; refund the customer another way and "
                       f"record it in a note.", {"payment": "cannot refund"})
    async with runtime.database.transaction():
        order = await lock_order(order["id"])
        earlier = await ledger.by_key(key) if key else None
        if earlier is not None:
            row = _same_request(earlier, amount)
        else:
            orders.check_refundable(order)
            row = await _new_refund(order, payment, entry, caps, amount, key)
            if note and row["status"] == "pending" and not row["attempts"]:
                await record(order["id"], "note", actor, note)
    if row["status"] == "pending":
        await attempt(runtime, row, actor)
    _answer(_status_for_answer(await ledger.get(row["id"])), entry, await ledger.get(row["id"]))
    return await order_row(number)


def _request_key(payment: dict[str, Any], request_key: str | None) -> str | None:
    if not request_key:
        return None
    digest = hashlib.sha256(request_key.encode()).hexdigest()[:40]
    return f"sw-pay-{payment['id']}-refund-request-{digest}"


def _same_request(earlier: dict[str, Any], amount: int | None) -> dict[str, Any]:
    if amount is not None and amount != earlier["amount"]:
        raise IdempotencyMismatch(f"This Idempotency-Key was already used for a refund of {earlier['amount']}. "
                                  "Use a new key for a new refund.",
                                  {"Idempotency-Key": "already used for a different refund"})
    return earlier


def _status_for_answer(row: dict[str, Any]) -> str:
    return "unknown" if row["status"] == "pending" and not row["provider_id"] else row["status"]


async def _new_refund(order: dict[str, Any], payment: dict[str, Any], entry: GatewayEntry, caps: Any,
                      amount: int | None, key: str | None) -> dict[str, Any]:
    """Inside the locked transaction: the pending refund row to call the
    gateway with (a pending refund of the same amount is reused)."""
    totals = await ledger.totals(payment["id"])
    waiting = await ledger.pending("refund", payment["id"])
    if waiting is not None and key is None and amount in (None, waiting["amount"]):
        return waiting
    captured = totals.captured or order["paid_amount"]
    left = captured - totals.refunded - totals.pending_refunds
    amount = _check_amount(amount, left, "refund")
    if amount < left and not caps.partial_refund:
        raise InvalidInput(f"The payment method {entry.id!r} refunds the whole payment only.",
                           {"amount": f"must be {left}"})
    if (totals.refunded or totals.pending_refunds) and not caps.multiple_refund:
        raise Conflict(f"The payment method {entry.id!r} refunds a payment once only.",
                       {"amount": "already refunded once"})
    return await ledger.open_pending(payment, "refund", amount, key)


async def cancel(runtime, number: str, actor: str, note: str = "", fraud: bool = False) -> dict[str, Any]:
    """Cancel an unpaid order (stock released, the payment voided at the
    provider where it can be) or a paid order that has not shipped (refunded
    in full through the gateway, stock put back). Open holds are closed with
    it; ``fraud`` records that staff cancelled it as fraudulent (on the
    holds and in the ``order_cancelled`` event)."""
    order = await order_row(number)
    note = note or "Order cancelled."
    payment = await records.latest(order["id"])
    if order["status"] == "pending_payment":
        async with runtime.database.transaction():
            order = await lock_order(order["id"])
            updated = await cancel_pending_in_tx(order, actor, note, fraud)
        runtime.events_committed()
        await void_at_gateway(runtime, order, payment, actor)
        return updated
    orders.check_cancellable_when_paid(order)
    if payment is None or not order["paid_amount"]:
        async with runtime.database.transaction():
            updated = await orders.cancel_paid_in_tx(await lock_order(order["id"]), actor, note, 0, fraud)
        runtime.events_committed()
        return updated
    entry = await records.gateway_for(runtime, payment)
    async with runtime.database.transaction():
        order = await lock_order(order["id"])
        orders.check_cancellable_when_paid(order)
        row = await ledger.pending("refund", payment["id"]) or await ledger.open_pending(
            payment, "refund", order["paid_amount"])

    async def cancel_with_refund(order, payment, settled, actor):
        await reports.sync_payment_only(payment, settled)
        return await orders.cancel_paid_in_tx(order, actor, note, settled["amount"], fraud)

    status = await attempt(runtime, row, actor, apply=cancel_with_refund)
    _answer(status, entry, await ledger.get(row["id"]))
    return await order_row(number)


async def replace_payment_in_tx(order: dict[str, Any], entry: GatewayEntry, actor: str) -> dict[str, Any]:
    """Inside a transaction, the order locked: the shopper pays order
    ``order`` (awaiting payment) another way, through gateway ``entry``. The
    current payment is given up (``cancelled``, nothing is asked of the
    provider: no money moved on it) and a new pending one is created; the
    caller starts it after the commit. Returns the new payment row.

    Refused with Conflict (409) while money moved or is moving on the current
    payment (an authorization, a capture or a pending movement: staff settle
    it first), and with IllegalTransition once the order no longer awaits
    payment. Money a provider still reports later on the given-up payment is
    recorded all the same (a capture pays the order; a second payment is
    flagged for staff); a late void of it leaves the order waiting."""
    current = await records.latest(order["id"])
    if current is not None:
        totals = await ledger.totals(current["id"])
        if totals.authorized or totals.captured or totals.pending_captures:
            raise Conflict(f"The payment of order {order['number']} with {current['gateway']} is already "
                           "authorized or being captured; it cannot be replaced.",
                           {"payment_method": "the current payment already holds money"})
    await orders.change_payment_method_in_tx(order, entry.id, entry.plugin, actor)
    if current is not None:
        await records.update(current["id"], status="cancelled",
                             error=f"Replaced by {entry.id} at the shopper's request."[:1000])
    return await records.create(order["id"], entry, order["total"], order["currency"])


async def cancel_pending_in_tx(order: dict[str, Any], actor: str, note: str, fraud: bool = False) -> dict[str, Any]:
    """Inside a transaction: an unpaid order cancelled (reservations released,
    open holds closed) and its open payment marked cancelled."""
    updated = await orders.cancel_pending_in_tx(order, actor, note, fraud)
    payment = await records.latest(order["id"])
    if payment is not None and payment["status"] in ("pending", "authorized", "failed"):
        await records.update(payment["id"], status="cancelled")
    return updated


async def void_at_gateway(runtime, order: dict[str, Any], payment: dict[str, Any] | None, actor: str) -> None:
    """After an unpaid order was cancelled: release the payment at the
    provider (a ``void`` in the ledger), best effort — an unknown outcome is
    retried by the settle job, a refusal goes on the timeline."""
    if payment is None or not payment["reference"] or payment["status"] in ("failed", "paid"):
        return
    try:
        entry = await records.gateway_for(runtime, payment)
    except Conflict as exc:
        async with runtime.database.transaction():
            await record(order["id"], "note", actor, f"The payment could not be cancelled at the provider: {exc}")
        return
    caps = records.capabilities(entry)
    if caps.flow == "none":
        return
    async with runtime.database.transaction():
        await lock_order(order["id"])
        row = await ledger.pending("void", payment["id"]) or await ledger.open_pending(payment, "void", payment["amount"])
    status = await attempt(runtime, row, actor)
    if status in ("failed", "unknown"):
        async with runtime.database.transaction():
            await record(order["id"], "note", actor, "The payment could not be cancelled at the provider yet "
                         + ("(refused)." if status == "failed" else "(no answer; retried in the background)."))


async def expire_reservations(runtime, limit: int = 100) -> list[str]:
    """Cancel orders still awaiting payment whose reservations expired and
    release their stock. Returns the numbers cancelled (cron job)."""
    done = []
    minutes = runtime.settings.checkout.reservation_minutes
    for item in await stock.expired_orders(limit=limit):
        payment = None
        try:
            async with runtime.database.transaction():
                order = await lock_order((await order_row(item["number"]))["id"])
                if order["status"] != "pending_payment":
                    continue
                payment = await records.latest(order["id"])
                await cancel_pending_in_tx(order, "system",
                                           f"No payment within {minutes} minutes: reservation expired.")
        except IllegalTransition:
            continue
        runtime.events_committed()
        await void_at_gateway(runtime, order, payment, "system")
        done.append(item["number"])
    return done


# ---------------------------------------------------------------- reconciliation
async def reconcile(runtime, older_than_minutes: int = 10, limit: int = 100) -> dict[str, int]:
    """The cron job ``core.reconcile_payments``: movements left pending are
    tried again with their keys (those older than :data:`KEY_LIFETIME_MINUTES`
    fail and are flagged for staff instead); payments still pending at the
    provider are asked where they stand (``status``) and the answer applied once."""
    before = _ago(runtime, older_than_minutes)
    expired = _ago(runtime, KEY_LIFETIME_MINUTES)
    retried = 0
    # A row with the provider's id was accepted there: its webhook or status settles it.
    for row in await ledger.stale_pending(before, expired, limit):
        await _queue_settle(runtime, row["id"], row["attempts"] + 1)
        retried += 1
    for row in await ledger.expired_pending(expired, limit):
        await _give_up(runtime, row)
    asked = 0
    for payment in await records.stale_open(before, limit):
        try:
            entry = await records.gateway_for(runtime, payment)
        except Conflict:
            continue
        if records.capabilities(entry).flow == "none":
            continue
        try:
            await settlement.apply_status(runtime, entry, payment)
        except Exception:
            log.exception("payment.reconcile_failed", payment=payment["id"])
            continue
        asked += 1
    return {"retried": retried, "asked": asked}


async def _give_up(runtime, row: dict[str, Any]) -> None:
    """A movement still unknown after the providers' idempotency keys expire
    (Stripe keeps them 24 hours): calling again could move money twice, so
    the row fails and staff are asked to check at the provider."""
    async with runtime.database.transaction():
        order = await lock_order(row["order_id"])
        settled = await ledger.settle(row, "failed", order["number"],
                                      error="no answer from the provider within a day; check it there")
        if settled is not None:
            payment = await records.get(row["payment_id"])
            await reports.flag(order, payment, "system", f"The {WHAT[row['kind']]} of {row['amount']} "
                               f"{row['currency']} got no answer from the provider within a day and is no longer "
                               f"retried: check at the provider whether it happened.")
    runtime.events_committed()


def _ago(runtime, minutes: int) -> datetime:
    return datetime.fromtimestamp(runtime.clock(), UTC) - timedelta(minutes=minutes)
