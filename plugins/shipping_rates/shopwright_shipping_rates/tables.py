"""The plugin's own tables (Piccolo app ``shipping_rates``): the rate table
of :mod:`shopwright_shipping_rates.rates`, one row per zone, per method of a
zone and per band of a method. ``position`` keeps the merchant's order.
Only :mod:`shopwright_shipping_rates.store` writes them."""
from __future__ import annotations

from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Text, Varchar
from piccolo.table import Table


class ShippingZone(Table, tablename="shipping_rates_zones"):
    """``postcodes``: the zone's patterns separated by spaces, empty for
    whole countries; its countries are :class:`ShippingZoneCountry` rows."""

    name = Varchar(length=100, unique=True)
    postcodes = Text(default="")
    position = Integer()


class ShippingZoneCountry(Table, tablename="shipping_rates_zone_countries"):
    """One country (ISO 3166-1 alpha-2) of a zone; indexed, so quoting reads
    only the zones of the address's country."""

    zone = ForeignKey(ShippingZone, on_delete=OnDelete.cascade, null=False)
    country = Varchar(length=2, index=True)


class ShippingMethod(Table, tablename="shipping_rates_methods"):
    """A method of a zone; ``code`` is unique within its zone. Amounts
    (``handling_fee``, the order limits ``min_order`` inclusive and
    ``max_order`` exclusive) are minor units; ``min_days``/``max_days`` the
    delivery estimate in business days; ``tax_class`` empty means the core's
    ``shipping`` class. None: not set."""

    zone = ForeignKey(ShippingZone, on_delete=OnDelete.cascade, null=False)
    code = Varchar(length=64)
    label = Varchar(length=200)
    basis = Varchar(length=16)
    currency = Varchar(length=3)
    position = Integer()
    handling_fee = BigInt(default=0)
    min_order = BigInt(null=True, default=None)
    max_order = BigInt(null=True, default=None)
    min_days = Integer(null=True, default=None)
    max_days = Integer(null=True, default=None)
    tax_class = Varchar(length=50, default="")


class ShippingBand(Table, tablename="shipping_rates_bands"):
    """``low`` inclusive, ``high`` exclusive (None: open), in grams, items or
    minor units by the method's basis; ``price`` in minor units."""

    method = ForeignKey(ShippingMethod, on_delete=OnDelete.cascade, null=False)
    low = BigInt(null=True, default=None)
    high = BigInt(null=True, default=None)
    price = BigInt()
    position = Integer()
