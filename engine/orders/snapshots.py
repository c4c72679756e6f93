"""Order snapshots: an order as the frozen :class:`engine.protocols.OrderSnapshot`
plugins read (the ``orders_placing`` hook, ``engine.sdk.order``), and the
``orders_placing`` call site.

:func:`snapshot` builds one from rows already read (no query);
:func:`read_snapshot` reads one by number or id (two queries);
:func:`announce_placing` calls ``orders_placing`` inside the checkout's
transaction.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from engine.db.sql import fetch, fetchone, timestamp
from engine.errors import InvalidInput
from engine.money import Money
from engine.protocols import OrderLineSnapshot, OrderSnapshot

MAX_NUMBER_LENGTH = 32


def _json(text: str | None, empty: Any) -> Any:
    return json.loads(text) if text else empty


def snapshot(row: dict[str, Any], lines: Sequence[dict[str, Any]]) -> OrderSnapshot:
    """The snapshot of an ``orders`` row and its ``order_lines`` rows (in
    position order)."""
    currency = row["currency"]

    def money(amount: Any) -> Money:
        return Money(int(amount or 0), currency)

    return OrderSnapshot(
        id=row["id"], number=row["number"], status=row["status"], email=row["email"], customer=row["customer"],
        currency=currency,
        lines=tuple(OrderLineSnapshot(
            sku=line["sku"], title=line["title"], quantity=int(line["quantity"]),
            unit_price=money(line["unit_price"]), subtotal=money(line["subtotal"]), discount=money(line["discount"]),
            total=money(line["total"]), options=_json(line["options"], {}), variant_id=line["variant_id"],
            product_id=line["product_id"], tax_class=line["tax_class"],
            fulfilled_quantity=int(line["fulfilled_quantity"] or 0)) for line in lines),
        subtotal=money(row["subtotal"]), discount_total=money(row["discount_total"]),
        shipping_total=money(row["shipping_total"]), tax_total=money(row["tax_total"]), total=money(row["total"]),
        paid=money(row["paid_amount"]), refunded=money(row["refunded_amount"]),
        prices_include_tax=bool(row["prices_include_tax"]),
        shipping_address=_json(row["shipping_address"], {}), billing_address=_json(row["billing_address"], {}),
        shipping_method=row["shipping_method"], shipping_label=row["shipping_label"],
        payment_method=row["payment_method"], placed_at=timestamp(row["placed_at"]),
        adjustments=tuple(_json(row["adjustments"], [])), tax_lines=tuple(_json(row["tax_lines"], [])),
    )


async def read_snapshot(number: str | None = None, order_id: int | None = None) -> OrderSnapshot | None:
    """The order with ``number`` (or ``order_id``: give exactly one), or None
    when there is none. Raises :class:`InvalidInput` for a malformed key."""
    if (number is None) == (order_id is None):
        raise InvalidInput("Give an order number or an order id, not both.", {"order": "number or id"})
    if number is not None:
        if not isinstance(number, str) or not number or len(number) > MAX_NUMBER_LENGTH:
            raise InvalidInput("An order number is 1 to 32 characters.", {"number": "1 to 32 characters"})
        row = await fetchone("SELECT * FROM orders WHERE number = {}", number)
    else:
        if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id < 1:
            raise InvalidInput("An order id is a positive whole number.", {"id": "a positive whole number"})
        row = await fetchone("SELECT * FROM orders WHERE id = {} AND number IS NOT NULL", order_id)
    if row is None:
        return None
    lines = await fetch("SELECT * FROM order_lines WHERE order_id = {} ORDER BY position, id", row["id"])
    return snapshot(row, lines)


async def announce_placing(runtime: Any, row: dict[str, Any], lines: Sequence[dict[str, Any]]) -> None:
    """Inside the order transaction: call ``orders_placing`` with the new
    order's snapshot. A failing plugin raises :class:`engine.plugins.HookError`
    (its cause is what the plugin raised); the caller rolls back."""
    await runtime.host.hook("orders_placing", order=snapshot(row, lines), runtime=runtime)
