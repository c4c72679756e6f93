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
from engine.protocols import OrderLineSnapshot, OrderPlacement, OrderSnapshot

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


async def announce_placing(runtime: Any, row: dict[str, Any], lines: Sequence[dict[str, Any]],
                           placement: OrderPlacement | None = None) -> None:
    """Inside the order transaction: call ``orders_placing`` with the new
    order's snapshot and how it is placed. A failing plugin raises
    :class:`engine.plugins.HookError` (its cause is what the plugin raised);
    the caller rolls back."""
    await runtime.host.hook("orders_placing", order=snapshot(row, lines), runtime=runtime,
                            placement=placement or OrderPlacement())


#: statuses of an order whose payment was taken (and not wholly refunded or cancelled)
PAID_STATUSES = ("paid", "partially_fulfilled", "fulfilled", "completed", "partially_refunded")
MAX_PAID_PAGE = 1000


async def read_paid_lines(after_order_id: int, limit: int) -> list[dict[str, Any]]:
    """The lines of up to ``limit`` paid orders with an id above
    ``after_order_id``, in order id then line position order: ``{order_id,
    number, placed_at, customer, product_id, sku, quantity}``. Two queries."""
    if isinstance(after_order_id, bool) or not isinstance(after_order_id, int) or after_order_id < 0:
        raise InvalidInput("after_order_id is a whole number from 0.", {"after_order_id": "a whole number from 0"})
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAID_PAGE:
        raise InvalidInput(f"limit is 1 to {MAX_PAID_PAGE}.", {"limit": f"1 to {MAX_PAID_PAGE}"})
    marks = ", ".join("{}" for _ in PAID_STATUSES)
    orders = await fetch(f"SELECT id, number, placed_at, customer FROM orders WHERE id > {{}} AND number IS NOT NULL "
                         f"AND status IN ({marks}) ORDER BY id LIMIT {{}}", after_order_id, *PAID_STATUSES, limit)
    if not orders:
        return []
    by_id = {row["id"]: row for row in orders}
    ids = ", ".join("{}" for _ in orders)
    lines = await fetch(f"SELECT order_id, product_id, sku, quantity FROM order_lines WHERE order_id IN ({ids}) "
                        f"ORDER BY order_id, position, id", *by_id)
    return [{"order_id": line["order_id"], "number": by_id[line["order_id"]]["number"],
             "placed_at": timestamp(by_id[line["order_id"]]["placed_at"]),
             "customer": by_id[line["order_id"]]["customer"], "product_id": line["product_id"],
             "sku": line["sku"], "quantity": int(line["quantity"])} for line in lines]
