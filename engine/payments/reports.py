"""Applying what a provider reports about a payment — a verified webhook,
the shopper's return (``complete``), a status poll (``status``) or the
gateway's answer to a call the shop made — exactly once.

:func:`apply_report` runs inside a transaction that first locked the order
(:func:`engine.orders.services.lock_order`), so the reports of one order are
applied one after the other whichever arrives first; the ledger's unique keys
make the second report of a movement a no-op (:mod:`engine.payments.ledger`).

What each report status does, for the payment whose ``reference`` matches:

- ``authorized``: an authorization in the ledger; the payment waits for a capture;
- ``paid``: a capture in the ledger; the order is paid when the captured
  amount and currency match the order (a mismatch flags the payment for
  staff and the order stays unpaid);
- ``refunded``: a refund in the ledger (never above what was captured) and
  on the order;
- ``cancelled``: a void; an order still awaiting payment is cancelled (unless
  the void is of a payment the shopper has since replaced by another method);
- ``failed``: a failed attempt (``payment_failed``); the order keeps waiting;
- ``disputed``: the payment is flagged for staff;
- ``pending`` or None: nothing changes.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from engine.money import Money
from engine.orders import actions as orders
from engine.orders.transitions import PAID_STATES, record
from engine.payments import ledger, records
from engine.protocols import WebhookOutcome

log = structlog.get_logger("shopwright.payments")

KINDS = {"authorized": "authorization", "paid": "capture", "refunded": "refund", "cancelled": "void",
         "failed": "authorization"}


def _amount(report: WebhookOutcome, default: int) -> int:
    return report.amount.amount if report.amount is not None else default


async def _ledger_row(payment: Mapping[str, Any], order: Mapping[str, Any], report: WebhookOutcome, kind: str,
                      amount: int, source: str) -> dict[str, Any] | None:
    """The ledger row this report settles or adds; None when the movement is
    already recorded (nothing to do)."""
    status = "failed" if report.status == "failed" else "succeeded"
    if report.transaction_key:
        mine = await ledger.by_key(report.transaction_key)
        if mine is not None and mine["payment_id"] == payment["id"]:
            return await ledger.settle(mine, status, order["number"], report.provider_id, amount,
                                       report.raw)
    plugin = payment["plugin"]
    if status == "failed":
        provider_id = report.provider_id
        key = f"report-{plugin}-{report.event_id}"
    else:
        # Without the provider's id, a payment has one authorization, capture
        # and void; a refund is then told apart by the report's event id.
        provider_id = report.provider_id or (None if kind == "refund" else f"{payment['reference']}:{kind}")
        key = f"report-{plugin}-{kind}-{provider_id}" if provider_id else f"report-{plugin}-{report.event_id}"
    if provider_id:
        known = await ledger.by_provider_id(plugin, kind, provider_id)
        if known is not None:
            if known["status"] == "pending":
                return await ledger.settle(known, status, order["number"], None, amount, report.raw)
            return None
    if status == "succeeded" and kind in ("capture", "refund", "void"):
        # The shop's own call whose answer was lost and whose key the provider
        # does not echo: the oldest pending row of that kind and amount.
        waiting = await ledger.pending(kind, payment["id"])
        if waiting is not None and waiting["amount"] == amount and not waiting["provider_id"]:
            return await ledger.settle(waiting, status, order["number"], provider_id, amount, report.raw)
    return await ledger.record_reported(payment, kind, amount, order["number"], provider_id, key, report.raw,
                                        status=status, source=source)


async def apply_report(order: dict[str, Any], payment: dict[str, Any], report: WebhookOutcome, actor: str,
                       source: str = "provider") -> str:
    """Inside a transaction, the order locked: apply ``report`` to ``payment``.
    Returns ``applied`` or ``unchanged`` (already recorded, or nothing to do)."""
    status = report.status
    if status in (None, "pending"):
        return "unchanged"
    if report.amount is not None and report.amount.currency != order["currency"]:
        await flag(order, payment, actor, f"The provider reported {report.amount.amount} "
                    f"{report.amount.currency}; the order is in {order['currency']}. Nothing was recorded.")
        return "applied"
    if status == "disputed":
        await flag(order, payment, actor, "The customer disputed the payment at the provider (a chargeback); "
                    "respond at the provider.")
        return "applied"
    kind = KINDS[status]
    amount = _amount(report, payment["amount"])
    if kind == "refund":
        # A reported refund happened: only refunds already made count against
        # it (a pending one of the shop's may be this very refund).
        totals = await ledger.totals(payment["id"])
        left = totals.captured - totals.refunded
        if amount > left and not await _is_known(payment, report):
            await flag(order, payment, actor, f"The provider reported a refund of {amount}, more than the "
                        f"{left} left to refund; check the payment.")
            amount = max(left, 0)
            if not amount:
                return "applied"
    row = await _ledger_row(payment, order, report, kind, amount, source)
    if row is None or row["status"] == "pending":
        return "unchanged"
    if row["status"] == "failed":
        if payment["status"] in ("pending", "authorized") and kind == "authorization":
            reason = report.raw.get("message") if isinstance(report.raw, Mapping) else None
            await records.update(payment["id"], status="failed",
                                 error=str(reason or "declined or failed at the provider")[:1000])
        await record(order["id"], "payment", actor, f"Payment {kind} failed at the provider.",
                     data={"transaction": row["id"], "provider_id": row["provider_id"]})
        return "applied"
    await sync(order, payment, row, actor, source != "shop")
    return "applied"


async def _is_known(payment: Mapping[str, Any], report: WebhookOutcome) -> bool:
    if report.transaction_key and await ledger.by_key(report.transaction_key):
        return True
    return bool(report.provider_id and await ledger.by_provider_id(payment["plugin"], "refund", report.provider_id))


async def sync_payment_only(payment: dict[str, Any], row: Mapping[str, Any]) -> None:
    """Inside a transaction: the payment row's copies of the ledger totals
    (a caller that changes the order itself, e.g. a cancellation's refund)."""
    totals = await ledger.totals(payment["id"])
    status = payment["status"]
    if row["kind"] == "refund":
        status = "refunded" if totals.refunded >= totals.captured else "partially_refunded"
    await records.update(payment["id"], captured_amount=totals.captured, refunded_amount=totals.refunded,
                         status=status)


async def sync(order: dict[str, Any], payment: dict[str, Any], row: Mapping[str, Any], actor: str,
               check_amount: bool, note: str = "") -> dict[str, Any]:
    """Inside a transaction: after ``row`` (a ledger row) succeeded, bring the
    payment and the order up to the ledger's totals. ``check_amount``: a
    capture the shop did not ask for must match the order's total, else the
    payment is flagged and the order stays unpaid. Returns the order row."""
    totals = await ledger.totals(payment["id"])
    kind = row["kind"]
    values: dict[str, Any] = {"captured_amount": totals.captured, "refunded_amount": totals.refunded}
    if kind == "authorization" and payment["status"] in ("pending", "failed"):
        values["status"] = "authorized"
        await record(order["id"], "payment", actor, "Payment authorized; capture it to take the money.",
                     data={"amount": row["amount"], "transaction": row["id"]})
    elif kind == "capture":
        values["status"] = "paid" if not totals.refunded else payment["status"]
    elif kind == "refund":
        values["status"] = "refunded" if totals.refunded >= totals.captured else "partially_refunded"
    elif kind == "void" and payment["status"] in ("pending", "authorized", "failed"):
        values["status"] = "cancelled"
    await records.update(payment["id"], **values)
    if kind == "capture":
        return await _captured(order, payment, row, totals.captured, actor, check_amount, note)
    if kind == "refund":
        return await _refunded(order, row, totals.refunded, actor)
    if kind == "void" and order["status"] == "pending_payment" and await records.is_current(payment):
        # a void of a payment the shopper switched away from leaves the order waiting for the new one
        return await orders.cancel_pending_in_tx(order, actor, f"Payment cancelled at the provider ({actor}).")
    return order


async def _captured(order: dict[str, Any], payment: Mapping[str, Any], row: Mapping[str, Any], captured: int,
                    actor: str, check_amount: bool, note: str = "") -> dict[str, Any]:
    money = Money(row["amount"], row["currency"])
    if order["status"] == "cancelled":
        await flag(order, payment, actor, f"{money.as_decimal()} {money.currency} were captured after the order "
                    "was cancelled: refund it or contact the customer.")
        return order
    if order["status"] in PAID_STATES:
        await record(order["id"], "payment", actor, f"{money.as_decimal()} {money.currency} more captured.",
                     data={"transaction": row["id"]})
        if captured > order["total"]:
            await flag(order, payment, actor, f"{Money(captured, order['currency']).as_decimal()} "
                       f"{order['currency']} captured in all, more than the order's total: refund the difference.")
        return await orders.set_paid_amount_in_tx(order, captured)
    if check_amount and captured < order["total"]:
        await flag(order, payment, actor, f"The provider reports {Money(captured, order['currency']).as_decimal()} "
                    f"{order['currency']} paid; the order's total is "
                    f"{Money(order['total'], order['currency']).as_decimal()}. The order is not marked paid.")
        return order
    updated, _ = await orders.mark_paid_in_tx(order, actor, note or f"Payment captured ({actor}).", captured)
    return updated


async def _refunded(order: dict[str, Any], row: Mapping[str, Any], refunded: int, actor: str) -> dict[str, Any]:
    if order["status"] not in orders.REFUNDABLE:
        await record(order["id"], "note", actor, f"A refund of {row['amount']} was recorded at the provider while "
                     f"the order is {order['status']}.", data={"transaction": row["id"]})
        return order
    amount = refunded - order["refunded_amount"]
    if amount <= 0:
        return order
    return await orders.refund_in_tx(order, amount, actor, f"Refund recorded ({actor}).")


async def flag(order: Mapping[str, Any], payment: Mapping[str, Any], actor: str, reason: str) -> None:
    """Mark the payment for staff attention (kept on ``payments.flag``, shown
    on the order) and put the reason on the timeline."""
    flags = [part for part in (payment.get("flag") or "").split("\n") if part]
    if reason not in flags:
        flags.append(reason)
    await records.update(payment["id"], flag="\n".join(flags)[-4000:])
    await record(order["id"], "flag", actor, reason)
    log.warning("payment.flagged", order=order["number"], payment=payment["id"], reason=reason)
