"""Order tables.

Prices on an order are frozen at placement: amounts are integer minor units
of ``currency``; adjustments and tax lines are stored as JSON exactly as the
shopper saw them. ``number`` is ``checkout.order_number_start`` + ``id``
(written in the same transaction as the row). ``idempotency_key`` is the
client's key of the checkout request that created the order; a replay with
the same key returns this order. The access token is not stored: it is an
HMAC of the number and ``token_salt`` under the shop's secret key.
"""
from __future__ import annotations

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class Order(Table, tablename="orders"):
    id = Serial(primary_key=True)
    number = Varchar(length=32, unique=True, index=True, null=True, default=None)
    status = Varchar(length=32, default="pending_payment", index=True)
    email = Varchar(length=320)
    customer = Integer(null=True, default=None, index=True)
    cart_token = Varchar(length=64, default="")
    idempotency_key = Varchar(length=255, unique=True, index=True, null=True, default=None)
    request_fingerprint = Varchar(length=64, default="")
    token_salt = Varchar(length=64)
    currency = Varchar(length=3)
    subtotal = BigInt(default=0)
    discount_total = BigInt(default=0)
    shipping_total = BigInt(default=0)
    tax_total = BigInt(default=0)
    total = BigInt(default=0)
    prices_include_tax = Boolean(default=False)
    adjustments = Text(default="[]")
    tax_lines = Text(default="[]")
    shipping_address = Text(default="{}")
    billing_address = Text(default="{}")
    shipping_method = Varchar(length=200, default="")
    shipping_label = Varchar(length=300, default="")
    #: the chosen method's delivery estimate in business days (None: none given)
    shipping_days_min = Integer(null=True, default=None)
    shipping_days_max = Integer(null=True, default=None)
    payment_method = Varchar(length=200, default="")
    payment_plugin = Varchar(length=100, default="")
    paid_amount = BigInt(default=0)
    refunded_amount = BigInt(default=0)
    placed_at = Timestamptz(index=True)  # reports and the dashboard read by date
    updated_at = Timestamptz()


class OrderLine(Table, tablename="order_lines"):
    """A frozen line: ``unit_price`` × ``quantity`` = ``subtotal``; ``discount``
    (≤ 0 for a discount) is the line's share of the goods adjustments;
    ``total`` = subtotal + discount. Tax is kept per rate on the order."""

    id = Serial(primary_key=True)
    order_id = ForeignKey(Order, on_delete=OnDelete.cascade, index=True)
    sku = Varchar(length=100)
    variant_id = Integer(null=True, default=None)
    product_id = Integer(null=True, default=None)
    title = Varchar(length=300, default="")
    options = Text(default="{}")
    tax_class = Varchar(length=50, default="standard")
    quantity = Integer()
    unit_price = BigInt()
    subtotal = BigInt()
    discount = BigInt(default=0)
    total = BigInt()
    fulfilled_quantity = Integer(default=0)
    position = Integer(default=0)


class OrderEvent(Table, tablename="order_events"):
    """The order's timeline: every status change and notable action, with who
    (``actor``: ``customer``, ``system``, ``token:<name>``, ``webhook:<plugin>``),
    when and a note. ``kind``: placed, status, payment, refund, fulfillment,
    reservation, note."""

    id = Serial(primary_key=True)
    order_id = ForeignKey(Order, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=32)
    from_status = Varchar(length=32, null=True, default=None)
    to_status = Varchar(length=32, null=True, default=None)
    actor = Varchar(length=200, default="system")
    note = Text(default="")
    data = Text(default="{}")
    created_at = Timestamptz()


class StockReservation(Table, tablename="stock_reservations"):
    """Units of one stock row (variant × warehouse) held for an order.

    ``state``: held (counted in ``catalog_stock.reserved``) → deducted (paid:
    taken off ``on_hand``) or released (cancelled/expired: given back).
    ``expires_at`` applies while held and the order awaits payment.
    """

    id = Serial(primary_key=True)
    order_id = ForeignKey(Order, on_delete=OnDelete.cascade, index=True)
    sku = Varchar(length=100)
    variant_id = Integer()
    stock_id = Integer()
    warehouse_id = Integer()
    quantity = Integer()
    state = Varchar(length=16, default="held", index=True)
    expires_at = Timestamptz(index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Fulfillment(Table, tablename="order_fulfillments"):
    """A shipment: ``lines`` is a JSON list of ``{sku, quantity}``; ``status``
    one of :data:`engine.orders.shipments.SHIPMENT_STATUSES`; ``warehouse_id``
    the catalog warehouse it leaves from (null for shipments made before
    warehouses were recorded)."""

    id = Serial(primary_key=True)
    order_id = ForeignKey(Order, on_delete=OnDelete.cascade, index=True)
    lines = Text(default="[]")
    tracking_number = Varchar(length=200, default="", index=True)
    carrier = Varchar(length=200, default="")
    service = Varchar(length=100, default="")
    tracking_url = Varchar(length=500, default="")
    status = Varchar(length=16, default="shipped")
    warehouse_id = Integer(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz(null=True, default=None)


class OrderReturn(Table, tablename="order_returns"):
    """A shopper's return request: ``lines`` a JSON list of ``{sku, quantity}``;
    ``status`` requested → approved → received, or requested → rejected;
    ``restocked`` the units put back on hand when it was received."""

    id = Serial(primary_key=True)
    order_id = ForeignKey(Order, on_delete=OnDelete.cascade, index=True)
    lines = Text(default="[]")
    reason = Text(default="")
    status = Varchar(length=16, default="requested")
    restocked = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class OrderHold(Table, tablename="order_holds"):
    """A hold placed on an order for review (see :mod:`engine.orders.holds`):
    while one is ``open`` the order's payment is not captured and nothing is
    shipped. ``plugin`` placed it with a ``code`` (e.g. ``risk``), a
    ``score`` (0–100) and ``reasons`` (a JSON list of sentences). ``status``
    open → released (staff approved) or cancelled (the order was cancelled;
    ``fraud`` when staff said it was fraudulent)."""

    id = Serial(primary_key=True)
    order_id = ForeignKey(Order, on_delete=OnDelete.cascade, index=True)
    plugin = Varchar(length=100, default="")
    code = Varchar(length=64)
    score = Integer(default=0)
    reasons = Text(default="[]")
    status = Varchar(length=16, default="open", index=True)
    fraud = Boolean(default=False)
    resolved_by = Varchar(length=200, default="")
    created_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)


TABLES = [Order, OrderLine, OrderEvent, StockReservation, Fulfillment, OrderReturn, OrderHold]
