"""Writing a new order: the order row with frozen prices and its lines.

Checkout decides what the order is (:class:`NewOrder`); this module is where
it is written, inside the checkout's transaction, so an order is only ever
written by the orders domain. The order number is ``order_number_prefix``
followed by ``order_number_start + id``; the row's idempotency key is unique, so a second write with the same
key fails and the caller answers with the first order.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.db.sql import fetch, fetchone


@dataclass(frozen=True)
class NewOrderLine:
    """One line as priced at checkout; amounts in minor units of the order's currency."""

    sku: str
    variant_id: int
    product_id: int
    title: str
    options: dict[str, Any]
    tax_class: str
    quantity: int
    unit_price: int
    subtotal: int
    discount: int
    total: int


@dataclass(frozen=True)
class NewOrder:
    """An order as checkout decided it; amounts in minor units of ``currency``.
    ``adjustments`` and ``tax_lines`` are their JSON shapes (what the order
    JSON shows)."""

    email: str
    customer: int | None
    cart_token: str
    idempotency_key: str
    request_fingerprint: str
    currency: str
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    total: int
    prices_include_tax: bool
    adjustments: list[dict[str, Any]]
    tax_lines: list[dict[str, Any]]
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    shipping_method: str
    shipping_label: str
    payment_method: str
    payment_plugin: str
    lines: list[NewOrderLine]
    #: the chosen quote's delivery estimate ``(min, max)`` business days
    shipping_days: tuple[int, int] | None = None


async def by_idempotency_key(key: str) -> dict[str, Any] | None:
    return await fetchone("SELECT * FROM orders WHERE idempotency_key = {}", key)


async def create_in_tx(order: NewOrder, number_start: int, now: datetime,
                       number_prefix: str = "") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Inside a transaction: write ``order`` as ``pending_payment`` with its
    lines; returns the numbered row and the line rows in position order. Both
    come back from the writes (``RETURNING``): nothing is read again."""
    row = await fetchone(
        "INSERT INTO orders (number, status, email, customer, cart_token, idempotency_key, request_fingerprint, "
        "token_salt, currency, subtotal, discount_total, shipping_total, tax_total, total, prices_include_tax, "
        "adjustments, tax_lines, shipping_address, billing_address, shipping_method, shipping_label, "
        "shipping_days_min, shipping_days_max, "
        "payment_method, payment_plugin, paid_amount, refunded_amount, placed_at, updated_at) VALUES "
        "(NULL, 'pending_payment', {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
        "{}, {}, {}, 0, 0, {}, {}) RETURNING id",
        order.email, order.customer, order.cart_token, order.idempotency_key, order.request_fingerprint,
        secrets.token_hex(16), order.currency, order.subtotal, order.discount_total, order.shipping_total,
        order.tax_total, order.total, order.prices_include_tax, json.dumps(order.adjustments),
        json.dumps(order.tax_lines), json.dumps(order.shipping_address), json.dumps(order.billing_address),
        order.shipping_method, order.shipping_label, *(order.shipping_days or (None, None)),
        order.payment_method, order.payment_plugin, now, now)
    order_id = row["id"]
    numbered = await fetchone("UPDATE orders SET number = {} WHERE id = {} RETURNING *",
                              f"{number_prefix}{number_start + order_id}", order_id)
    values: list[Any] = []
    for position, line in enumerate(order.lines):
        values += [order_id, line.sku, line.variant_id, line.product_id, line.title, json.dumps(line.options),
                   line.tax_class, line.quantity, line.unit_price, line.subtotal, line.discount, line.total, position]
    lines = await fetch(  # every line in one statement
        "INSERT INTO order_lines (order_id, sku, variant_id, product_id, title, options, tax_class, quantity, "
        "unit_price, subtotal, discount, total, fulfilled_quantity, position) VALUES "
        + ", ".join(["({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 0, {})"] * len(order.lines))
        + " RETURNING *", *values)
    # RETURNING gives a multi-row INSERT's rows in no promised order.
    return numbered, sorted(lines, key=lambda line: line["position"])
