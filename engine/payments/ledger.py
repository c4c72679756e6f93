"""The payment transactions ledger (``payment_transactions``).

Every authorization, capture, void and refund is a row. A movement the shop
asks for is written ``pending`` with its idempotency key *before* the gateway
is called (:func:`open_pending`), then settled (:func:`settle`) from the
gateway's answer, a webhook, the shopper's return or a status poll. A
movement the provider reports first (a refund made in the provider's
dashboard) is written already settled (:func:`record_reported`).

Matching, so each movement counts once: a report carrying the shop's
idempotency key settles that row; else one carrying a provider id already
recorded for the same plugin and kind is a duplicate (the unique index makes
a concurrent second insert a no-op); else it is new.

Sums of succeeded rows are the truth for what was authorized, captured and
refunded (:func:`totals`); the payment row and the order keep copies, written
in the same transaction. Pending refunds count against what may still be
refunded, so two staff members cannot refund the same money.

Each settlement into ``succeeded`` or ``failed`` writes its outbox event:
``payment_authorized``, ``payment_captured``, ``payment_refunded``,
``payment_voided`` or ``payment_failed`` with ``order_id``, ``number``,
``payment_id``, ``transaction_id``, ``kind``, ``amount``, ``currency`` and
``provider_id``.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine import outbox
from engine.db.sql import fetch, fetchone

EVENTS = {"authorization": "payment_authorized", "capture": "payment_captured", "refund": "payment_refunded",
          "void": "payment_voided"}


def _now() -> datetime:
    return datetime.now(UTC)


def _raw(raw: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(raw or {}), default=str)[:8000]


@dataclass(frozen=True)
class Totals:
    """What the succeeded rows of a payment add up to, and what is pending."""

    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    voided: int = 0
    pending_refunds: int = 0
    pending_captures: int = 0

    @property
    def refundable(self) -> int:
        """Captured money not yet refunded nor being refunded."""
        return self.captured - self.refunded - self.pending_refunds

    @property
    def capturable(self) -> int:
        """Authorized money not yet captured, voided nor being captured."""
        return max(self.authorized - self.captured - self.voided - self.pending_captures, 0)


async def totals(payment_id: int) -> Totals:
    rows = await fetch("SELECT kind, status, SUM(amount) AS amount FROM payment_transactions WHERE payment_id = {} "
                       "AND status IN ('succeeded', 'pending') GROUP BY kind, status", payment_id)
    sums = {(row["kind"], row["status"]): int(row["amount"] or 0) for row in rows}
    return Totals(authorized=sums.get(("authorization", "succeeded"), 0),
                  captured=sums.get(("capture", "succeeded"), 0),
                  refunded=sums.get(("refund", "succeeded"), 0),
                  voided=sums.get(("void", "succeeded"), 0),
                  pending_refunds=sums.get(("refund", "pending"), 0),
                  pending_captures=sums.get(("capture", "pending"), 0))


async def for_order(order_id: int) -> list[dict[str, Any]]:
    return await fetch("SELECT * FROM payment_transactions WHERE order_id = {} ORDER BY id", order_id)


async def get(transaction_id: int) -> dict[str, Any] | None:
    return await fetchone("SELECT * FROM payment_transactions WHERE id = {}", transaction_id)


async def by_key(key: str) -> dict[str, Any] | None:
    return await fetchone("SELECT * FROM payment_transactions WHERE idempotency_key = {}", key)


async def by_provider_id(plugin: str, kind: str, provider_id: str) -> dict[str, Any] | None:
    return await fetchone("SELECT * FROM payment_transactions WHERE plugin = {} AND kind = {} AND provider_id = {}",
                          plugin, kind, provider_id)


async def pending(kind: str, payment_id: int) -> dict[str, Any] | None:
    """The oldest pending row of ``kind`` of a payment (a retry reuses its key)."""
    return await fetchone("SELECT * FROM payment_transactions WHERE payment_id = {} AND kind = {} AND status = "
                          "'pending' ORDER BY id", payment_id, kind)


async def stale_pending(before: datetime, created_after: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Rows the shop started, still pending without a provider id, last
    touched before ``before`` and created after ``created_after``: the ones
    the reconciliation retries with their keys."""
    return await fetch("SELECT * FROM payment_transactions WHERE status = 'pending' AND provider_id IS NULL "
                       "AND updated_at < {} AND created_at > {} ORDER BY id LIMIT {}", before, created_after, limit)


async def expired_pending(created_before: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Rows still pending without a provider id created before ``created_before``."""
    return await fetch("SELECT * FROM payment_transactions WHERE status = 'pending' AND provider_id IS NULL "
                       "AND created_at <= {} ORDER BY id LIMIT {}", created_before, limit)


def key_for(payment_id: int, kind: str, sequence: int) -> str:
    """The idempotency key of the ``sequence``-th ``kind`` of a payment:
    derived from the ledger, so it is the same on every retry."""
    return f"sw-pay-{payment_id}-{kind}-{sequence}"


async def open_pending(payment: Mapping[str, Any], kind: str, amount: int, key: str | None = None) -> dict[str, Any]:
    """Inside a transaction: a new pending row of ``kind`` with its key
    (``key``, or one derived from the ledger; the gateway is called after
    the commit)."""
    count = await fetchone("SELECT COUNT(*) AS n FROM payment_transactions WHERE payment_id = {} AND kind = {}",
                           payment["id"], kind)
    now = _now()
    return await fetchone(
        "INSERT INTO payment_transactions (payment_id, order_id, plugin, kind, amount, currency, status, provider_id, "
        "idempotency_key, raw, error, source, attempts, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, "
        "'pending', NULL, {}, {}, '', 'shop', 0, {}, {}) RETURNING *",
        payment["id"], payment["order_id"], payment["plugin"], kind, amount, payment["currency"],
        key or key_for(payment["id"], kind, int(count["n"]) + 1), "{}", now, now)


async def touch(transaction_id: int, error: str = "") -> None:
    """Count one more attempt whose outcome is unknown (and why)."""
    await fetch("UPDATE payment_transactions SET attempts = attempts + 1, error = {}, updated_at = {} WHERE id = {}",
                error[:1000], _now(), transaction_id)


async def settle(row: Mapping[str, Any], status: str, number: str, provider_id: str | None = None,
                 amount: int | None = None, raw: Mapping[str, Any] | None = None,
                 error: str = "") -> dict[str, Any] | None:
    """Inside a transaction: a pending row becomes ``succeeded`` or
    ``failed`` (or stays ``pending`` with the provider's id), with its event.
    None when the row was settled already (by a concurrent report)."""
    values: dict[str, Any] = {"status": status, "error": error[:1000], "updated_at": _now()}
    if provider_id:
        values["provider_id"] = provider_id
    if amount is not None:
        values["amount"] = amount
    if raw:
        values["raw"] = _raw(raw)
    assignments = ", ".join(f"{column} = {{}}" for column in values)
    settled = await fetchone(f"UPDATE payment_transactions SET {assignments} WHERE id = {{}} AND status = 'pending' "
                             f"RETURNING *", *values.values(), row["id"])
    if settled is not None and status != "pending":
        await _emit(settled, number)
    return settled


async def record_reported(payment: Mapping[str, Any], kind: str, amount: int, number: str, provider_id: str | None,
                          key: str, raw: Mapping[str, Any] | None = None, status: str = "succeeded",
                          source: str = "provider") -> dict[str, Any] | None:
    """Inside a transaction: a movement the provider reported that the shop
    did not start. None when its provider id (or ``key``) is already in the
    ledger: nothing is recorded twice."""
    now = _now()
    inserted = await fetchone(
        "INSERT INTO payment_transactions (payment_id, order_id, plugin, kind, amount, currency, status, provider_id, "
        "idempotency_key, raw, error, source, attempts, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, "
        "{}, {}, {}, '', {}, 0, {}, {}) ON CONFLICT DO NOTHING RETURNING *",
        payment["id"], payment["order_id"], payment["plugin"], kind, amount, payment["currency"], status, provider_id,
        key, _raw(raw), source, now, now)
    if inserted is not None and status != "pending":
        await _emit(inserted, number)
    return inserted


async def _emit(row: Mapping[str, Any], number: str) -> None:
    name = EVENTS[row["kind"]] if row["status"] == "succeeded" else "payment_failed"
    await outbox.emit(name, {"order_id": row["order_id"], "number": number, "payment_id": row["payment_id"],
                             "transaction_id": row["id"], "kind": row["kind"], "amount": row["amount"],
                             "currency": row["currency"], "provider_id": row["provider_id"],
                             "status": row["status"]})


def transaction_json(row: Mapping[str, Any]) -> dict[str, Any]:
    created = row["created_at"]
    return {"id": row["id"], "kind": row["kind"], "status": row["status"],
            "amount": {"amount": int(row["amount"]), "currency": row["currency"]},
            "provider_id": row["provider_id"], "idempotency_key": row["idempotency_key"], "source": row["source"],
            "error": row["error"] or None, "attempts": row["attempts"],
            "created_at": created.isoformat() if hasattr(created, "isoformat") else created}
