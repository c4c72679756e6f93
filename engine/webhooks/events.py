"""Which webhook event types an outbox (domain) event becomes.

A domain event maps to a list of webhook types, most specific first; a
subscription receives the event once, as the first type of the list it is
subscribed to (so a subscriber of both ``product.created`` and
``product.updated`` gets a new product once, as ``product.created``).
Domain events that map to nothing are not sent anywhere.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

#: Every type a subscription may name, with what it means. ``*`` means all.
EVENT_TYPES: dict[str, str] = {
    "order.created": "An order was placed (checkout completed).",
    "order.paid": "An order's payment was received.",
    "order.fulfilled": "An order was shipped in full.",
    "order.partially_fulfilled": "Part of an order was shipped.",
    "order.completed": "An order was completed.",
    "order.cancelled": "An order was cancelled.",
    "order.refunded": "An order was refunded, in part or in full.",
    "order.held": "An order was held for review (capture and shipping wait for staff).",
    "order.hold_released": "A hold on an order ended: approved, or the order was cancelled.",
    "order.marked_fraudulent": "Staff judged an order fraudulent (e.g. after a chargeback).",
    "payment.authorized": "A payment was authorized (capture it to take the money).",
    "payment.captured": "Money of a payment was captured.",
    "payment.refunded": "Money of a payment was refunded.",
    "payment.voided": "A payment's authorization was released.",
    "payment.failed": "A payment, capture, refund or void failed at the provider.",
    "product.created": "A product was created.",
    "product.updated": "A product was created, changed or imported.",
    "product.deleted": "A product was deleted.",
    "stock.changed": "The stock of a variant in a warehouse changed.",
    "customer.created": "A customer account was created.",
}
WILDCARD = "*"

Mapper = Callable[[Mapping[str, Any]], list[str]]


def _fixed(*types: str) -> Mapper:
    return lambda payload: list(types)


def _shipment(payload: Mapping[str, Any]) -> list[str]:
    if payload.get("status") == "fulfilled":
        return ["order.fulfilled"]
    return ["order.partially_fulfilled"]


def _product_saved(payload: Mapping[str, Any]) -> list[str]:
    return ["product.created", "product.updated"] if payload.get("created") else ["product.updated"]


#: Domain event name → webhook types (computed from the payload).
MAPPING: dict[str, Mapper] = {
    "order_placed": _fixed("order.created"),
    "order_paid": _fixed("order.paid"),
    "shipment_created": _shipment,
    "order_completed": _fixed("order.completed"),
    "order_cancelled": _fixed("order.cancelled"),
    "order_refunded": _fixed("order.refunded"),
    "order_held": _fixed("order.held"),
    "order_hold_released": _fixed("order.hold_released"),
    "order_marked_fraudulent": _fixed("order.marked_fraudulent"),
    "payment_authorized": _fixed("payment.authorized"),
    "payment_captured": _fixed("payment.captured"),
    "payment_refunded": _fixed("payment.refunded"),
    "payment_voided": _fixed("payment.voided"),
    "payment_failed": _fixed("payment.failed"),
    "product_saved": _product_saved,
    "product_deleted": _fixed("product.deleted"),
    "catalog_imported": _fixed("product.updated"),
    "stock_changed": _fixed("stock.changed"),
    "customer_created": _fixed("customer.created"),
    "customer_registered": _fixed("customer.created"),
}


def webhook_types(event_name: str, payload: Mapping[str, Any]) -> list[str]:
    """The webhook types of one domain event, most specific first ([] for none)."""
    mapper = MAPPING.get(event_name)
    return mapper(payload) if mapper else []


def type_for(subscribed: list[str], types: list[str]) -> str | None:
    """The type a subscription with ``subscribed`` types receives, or None."""
    for kind in types:
        if WILDCARD in subscribed or kind in subscribed:
            return kind
    return None


def check_event_types(values: list[str]) -> list[str]:
    """Validated, de-duplicated types; raises ValueError naming an unknown one."""
    if not values:
        raise ValueError("at least one event type is required")
    out: list[str] = []
    for value in values:
        if value != WILDCARD and value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r} (known: *, {', '.join(EVENT_TYPES)})")
        if value not in out:
            out.append(value)
    return out
