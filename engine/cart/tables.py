"""Cart tables.

A cart is addressed by ``token``, an unguessable random string that is the
cart's only secret (the API's cart id, the storefront's cookie). ``customer``
is null for a guest cart; :func:`engine.cart.services.merge_carts` folds a
guest cart into the customer's cart on login.
"""
from __future__ import annotations

from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

CART_STATUSES = ("open", "merged")


class Cart(Table, tablename="carts"):
    """``status``: open | merged (folded into another cart, kept for the record).
    ``vouchers`` is a JSON list of voucher codes entered by the shopper.
    ``last_order`` is the number of the last order placed from it.
    ``shipping_quotes`` is the JSON of the shipping quotes last offered for it
    (:mod:`engine.fulfillment.quotes`), so checkout can keep the chosen one."""

    id = Serial(primary_key=True)
    token = Varchar(length=64, unique=True, index=True)
    customer = Integer(null=True, default=None, index=True)
    currency = Varchar(length=3)
    status = Varchar(length=20, default="open")
    vouchers = Text(default="[]")
    last_order = Varchar(length=32, null=True, default=None)
    shipping_quotes = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CartLine(Table, tablename="cart_lines"):
    """One SKU in a cart (unique per cart). ``seen_price`` is the unit price
    (minor units) the shopper was last shown: a different current price makes
    a notice on the next view."""

    id = Serial(primary_key=True)
    cart = ForeignKey(Cart, on_delete=OnDelete.cascade, index=True)
    sku = Varchar(length=100)
    quantity = Integer(default=1)
    seen_price = BigInt(null=True, default=None)
    added_at = Timestamptz()


TABLES = [Cart, CartLine]
