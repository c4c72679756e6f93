"""Payment records and the provider webhook events already applied.

A :class:`Payment` is one attempt to move money for an order through one
gateway: ``status`` pending → authorized → paid (→ partially_refunded →
refunded), or failed / cancelled. ``reference`` is the provider's id of the
payment (set once the gateway started it). Amounts are minor units of
``currency``.

:class:`PaymentEvent` remembers every provider event id applied (unique per
plugin), so a webhook delivered twice changes nothing the second time.
"""
from __future__ import annotations

from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
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


TABLES = [Payment, PaymentEvent]
