"""Promotions and voucher usage (read by the core promotions default plugin,
counted by the checkout inside the order transaction).

A promotion with a ``code`` is a voucher the shopper enters; without one it
applies automatically. ``kind``:

- ``percentage``: ``value`` percent (a decimal string, e.g. ``"12.5"``) off
  the matching goods;
- ``fixed``: ``value`` minor units off the order (scope ``order``) or off
  each matching unit (other scopes);
- ``buy_x_get_y``: for every ``buy_quantity`` + ``get_quantity`` matching
  units, the ``get_quantity`` cheapest get ``value`` percent off (100: free);
- ``free_shipping``: the shipping charge is waived.

``scope`` (order | product | category | collection) with ``targets`` (a JSON
list of product slugs, category slugs (descendants included) or collection
slugs) says which lines match. ``min_subtotal`` (minor units) is compared
with the goods subtotal before discounts. ``usage_limit`` caps uses in total
(``used_count`` counts them), ``per_customer_limit`` per e-mail address /
customer. ``exclusive`` promotions never combine with others (see
:mod:`engine.pricing.promotions` for the stacking rule); ``priority`` orders
evaluation (lower first, then id).
"""
from __future__ import annotations

from piccolo.columns import BigInt, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

PROMOTION_KINDS = ("percentage", "fixed", "buy_x_get_y", "free_shipping")
PROMOTION_SCOPES = ("order", "product", "category", "collection")


class Promotion(Table, tablename="promotions"):
    id = Serial(primary_key=True)
    name = Varchar(length=200)
    code = Varchar(length=64, null=True, default=None, unique=True, index=True)
    kind = Varchar(length=20)
    value = Varchar(length=32, default="0")
    scope = Varchar(length=20, default="order")
    targets = Text(default="[]")
    buy_quantity = Integer(default=0)
    get_quantity = Integer(default=0)
    min_subtotal = BigInt(default=0)
    currency = Varchar(length=3)
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    usage_limit = Integer(null=True, default=None)
    per_customer_limit = Integer(null=True, default=None)
    used_count = Integer(default=0)
    exclusive = Boolean(default=False)
    priority = Integer(default=100)
    active = Boolean(default=True)
    created_at = Timestamptz()


class VoucherUsage(Table, tablename="voucher_usages"):
    """One use of a promotion by one customer (``customer_key``: ``customer:<id>``
    or ``email:<address>``). ``sequence`` numbers a customer's uses of a
    promotion from 1; (promotion, customer_key, sequence) is unique (raw-SQL
    index), so two concurrent orders cannot both take the last allowed use."""

    id = Serial(primary_key=True)
    promotion = Integer(index=True)
    customer_key = Varchar(length=400)
    sequence = Integer(default=1)
    order_id = Integer(index=True)
    created_at = Timestamptz()


TABLES = [Promotion, VoucherUsage]
