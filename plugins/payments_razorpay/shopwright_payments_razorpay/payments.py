"""Razorpay payment entities as the shop's reports
(:class:`engine.protocols.WebhookOutcome`).

A payment's ``status``: ``captured`` (or ``refunded`` later, ``captured``
true) → ``paid``; ``authorized`` → ``authorized``; ``failed`` → ``failed``;
``created`` → ``pending``. Amounts are Razorpay's integers in the currency's
smallest sub-unit — the shop's minor units — so they are taken as they are.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.money import Money, is_currency
from engine.protocols import WebhookOutcome

#: the order in which a payment tells where an order stands (the best first)
_RANK = {"captured": 0, "refunded": 0, "authorized": 1, "created": 2, "failed": 3}


def money(entity: Mapping[str, Any], field: str = "amount") -> Money | None:
    """``entity[field]`` in ``entity['currency']``, or None when it is not money."""
    amount, currency = entity.get(field), str(entity.get("currency") or "").upper()
    if isinstance(amount, bool) or not isinstance(amount, int) or not is_currency(currency):
        return None
    if not 0 <= amount < 2**63:
        return None
    return Money(amount, currency)


def captured(payment: Mapping[str, Any]) -> bool:
    return bool(payment.get("captured")) or payment.get("status") in ("captured", "refunded")


def report(payment: Mapping[str, Any], event_id: str, reference: str | None = None) -> WebhookOutcome:
    """Where ``payment`` stands, as a report about the Razorpay order
    ``reference`` (default: the payment's ``order_id``)."""
    status = payment.get("status")
    raw = {"payment": payment.get("id"), "status": status}
    if captured(payment):
        outcome = "paid"
    elif status == "authorized":
        outcome = "authorized"
    elif status == "failed":
        outcome = "failed"
        raw["error"] = str(payment.get("error_code") or "")[:100]
    else:
        outcome = "pending"
    return WebhookOutcome(event_id, reference or payment.get("order_id"), outcome, money(payment),
                          provider_id=payment.get("id"), raw=raw)


def best(payments: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The payment of an order that says most about it: a captured one, else
    an authorized one, else the newest attempt."""
    newest_first = sorted(payments, key=lambda p: -int(p.get("created_at") or 0))
    return min(newest_first, key=lambda p: _RANK.get(str(p.get("status")), 9), default=None)
