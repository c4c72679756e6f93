"""Payment records, their transaction ledger, and the provider webhook events
already applied.

A :class:`Payment` is one attempt to move money for an order through one
gateway: ``status`` pending → authorized → paid (→ partially_refunded →
refunded), or failed / cancelled. ``reference`` is the provider's id of the
payment (set once the gateway started it). Amounts are minor units of
``currency``.

:class:`PaymentTransaction` is the ledger: every authorization, capture,
void and refund of a payment, written ``pending`` with its idempotency key
*before* the gateway is called, then settled ``succeeded`` or ``failed``.
The payment's and the order's captured, authorized and refunded amounts are
sums of its succeeded rows (:mod:`engine.payments.ledger`). A provider id is
unique per plugin and kind, so a provider report of a transaction already
recorded changes nothing. ``flag`` on a payment is a reason staff must look at
it (an amount or currency that does not match the order, a dispute).

:class:`PaymentEvent` remembers every provider event id applied (unique per
plugin), so a webhook delivered twice changes nothing the second time.
"""
from __future__ import annotations

from piccolo.columns import (
    BigInt,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from engine.orders.tables import Order

PAYMENT_STATUSES = ("pending", "authorized", "paid", "partially_refunded", "refunded", "failed", "cancelled")


class Payment(Table, tablename="payments"):
    id = Serial(primary_key=True)
    order_id = ForeignKey(Order, on_delete=OnDelete.cascade, index=True)
    gateway = Varchar(length=200)
    plugin = Varchar(length=100)
    reference = Varchar(length=255, null=True, default=None, index=True)
    status = Varchar(length=32, default="pending")
    amount = BigInt()
    captured_amount = BigInt(default=0)
    refunded_amount = BigInt(default=0)
    currency = Varchar(length=3)
    action = Text(default="{}")
    error = Text(default="")
    flag = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


TRANSACTION_KINDS = ("authorization", "capture", "void", "refund")
TRANSACTION_STATUSES = ("pending", "succeeded", "failed")


class PaymentTransaction(Table, tablename="payment_transactions"):
    """One money movement of a payment (unique ``idempotency_key``; unique
    (plugin, kind, provider_id) when the provider's id is known: raw-SQL
    indexes)."""

    id = Serial(primary_key=True)
    payment_id = ForeignKey(Payment, on_delete=OnDelete.cascade, index=True)
    order_id = Integer(index=True)
    plugin = Varchar(length=100)
    kind = Varchar(length=16)
    amount = BigInt()
    currency = Varchar(length=3)
    status = Varchar(length=16, default="pending", index=True)
    provider_id = Varchar(length=255, null=True, default=None)
    idempotency_key = Varchar(length=255)
    raw = Text(default="{}")
    error = Text(default="")
    source = Varchar(length=32, default="shop")
    attempts = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PaymentEvent(Table, tablename="payment_events"):
    """A provider event applied once: unique on (plugin, event_id) (raw-SQL index)."""

    id = Serial(primary_key=True)
    plugin = Varchar(length=100)
    event_id = Varchar(length=255)
    payment = Integer(null=True, default=None)
    status = Varchar(length=32, null=True, default=None)
    outcome = Text(default="")
    received_at = Timestamptz()


TABLES = [Payment, PaymentTransaction, PaymentEvent]
