"""Reading and replacing the stored rate table (the plugin's tables; this
module is their only writer)."""
from __future__ import annotations

import hashlib
from typing import Any, Callable

from engine import sdk

from shopwright_shipping_rates.postcodes import parse_all
from shopwright_shipping_rates.rates import Band, Method, RateTable, Zone
from shopwright_shipping_rates.tables import ShippingBand, ShippingMethod, ShippingZone, ShippingZoneCountry

_ZONE = ShippingBand.method.zone
#: the optional fields of a method, stored in columns of the same names
METHOD_FIELDS = ("handling_fee", "min_order", "max_order", "min_days", "max_days", "tax_class")
_COLUMNS = (
    ShippingBand.low, ShippingBand.high, ShippingBand.price,
    ShippingBand.method.id.as_alias("method_id"), ShippingBand.method.code.as_alias("code"),
    ShippingBand.method.label.as_alias("label"), ShippingBand.method.basis.as_alias("basis"),
    ShippingBand.method.currency.as_alias("currency"),
    *(getattr(ShippingBand.method, name).as_alias(name) for name in METHOD_FIELDS),
    _ZONE.id.as_alias("zone_id"), _ZONE.name.as_alias("zone"), _ZONE.postcodes.as_alias("postcodes"),
)


def _bands():
    """Every band with its method and zone, in the merchant's order (a zone
    always has a method, a method a band)."""
    return ShippingBand.select(*_COLUMNS).order_by(_ZONE.position, ShippingBand.method.position,
                                                   ShippingBand.position)


async def load_rates() -> RateTable:
    """The whole stored table (for export and the admin page), zones without
    methods and methods without bands included (they quote nothing)."""
    zones = await ShippingZone.select().order_by(ShippingZone.position).order_by(ShippingZone.id).run()
    countries: dict[int, set[str]] = {}
    for row in await ShippingZoneCountry.select(ShippingZoneCountry.zone, ShippingZoneCountry.country).run():
        countries.setdefault(row["zone"], set()).add(row["country"])
    methods: dict[int, list[dict[str, Any]]] = {}
    for row in await ShippingMethod.select().order_by(ShippingMethod.position).order_by(ShippingMethod.id).run():
        methods.setdefault(row["zone"], []).append(row)
    bands: dict[int, list[Band]] = {}
    for row in await ShippingBand.select().order_by(ShippingBand.position).order_by(ShippingBand.id).run():
        bands.setdefault(row["method"], []).append(Band(row["low"], row["high"], row["price"]))
    return RateTable(tuple(
        Zone(zone["name"], frozenset(countries.get(zone["id"], ())), parse_all(zone["postcodes"]), tuple(
            Method(m["code"], m["label"], m["basis"], m["currency"], tuple(bands.get(m["id"], ())),
                   **{name: m[name] for name in METHOD_FIELDS})
            for m in methods.get(zone["id"], ())))
        for zone in zones))


async def _lock_table() -> None:
    """Inside a transaction: wait for any other writer of the rate table to
    commit, so an edit's version check and its write see no change between
    them. SQLite's write transaction holds the database's lock already; on
    PostgreSQL a transaction-scoped advisory lock does it."""
    if ShippingZone._meta.db.engine_type == "postgres":
        await ShippingZone.raw("SELECT pg_advisory_xact_lock(hashtext('shopwright.shipping_rates'))").run()


def table_version(table: RateTable) -> str:
    """A digest of ``table``: what the admin page's forms carry, so an edit
    made on a table that changed meanwhile is refused instead of undoing the
    other change."""
    return hashlib.sha256(repr(table).encode()).hexdigest()[:32]


class StaleTable(Exception):
    """The table changed since the form was shown."""


async def edit_rates(runtime: Any, version: str, edit: Callable[[RateTable], RateTable]) -> RateTable:
    """Apply ``edit`` to the stored table and store the result, in one
    transaction, when the stored table still has ``version``
    (:class:`StaleTable` otherwise); ``edit`` raises to change nothing."""
    async with sdk.transaction(runtime):
        await _lock_table()
        table = await load_rates()
        if table_version(table) != version:
            raise StaleTable("the rates were changed meanwhile")
        edited = edit(table)
        await replace_rates(runtime, edited)
    return edited


async def load_rates_for(country: str) -> RateTable:
    """The zones that cover ``country``, each listing that country alone:
    what quoting an address there needs, in one indexed query."""
    country = country.upper()
    zones = ShippingZoneCountry.select(ShippingZoneCountry.zone).where(ShippingZoneCountry.country == country)
    rows = await _bands().where(_ZONE.id.is_in(zones)).run()
    return _table(rows, {row["zone_id"]: {country} for row in rows})


def _table(rows: list[dict[str, Any]], countries: dict[int, set[str]]) -> RateTable:
    zones: dict[int, dict[str, Any]] = {}
    for row in rows:
        zone = zones.setdefault(row["zone_id"], {"row": row, "methods": {}})
        method = zone["methods"].setdefault(row["method_id"], {"row": row, "bands": []})
        method["bands"].append(Band(row["low"], row["high"], row["price"]))
    return RateTable(tuple(
        Zone(zone["row"]["zone"], frozenset(countries.get(zone_id, ())), parse_all(zone["row"]["postcodes"]),
             tuple(Method(m["row"]["code"], m["row"]["label"], m["row"]["basis"], m["row"]["currency"],
                          tuple(m["bands"]), **{name: m["row"][name] for name in METHOD_FIELDS})
                   for m in zone["methods"].values()))
        for zone_id, zone in zones.items()))


async def replace_rates(runtime: Any, table: RateTable) -> None:
    """Replace the stored table with ``table`` in one transaction: a reader
    sees the old table or the new one, never a mix, and a failure leaves
    the old one. Cached storefront pages (and the shipping promise they show,
    a free-over band) are dropped with the change in every process."""
    async with sdk.transaction(runtime):
        await _lock_table()
        await sdk.storefront_changed(runtime)
        for stored in (ShippingBand, ShippingMethod, ShippingZoneCountry, ShippingZone):
            await stored.delete(force=True).run()
        for zone_position, zone in enumerate(table.zones):
            zone_id = (await ShippingZone.insert(ShippingZone(
                name=zone.name, postcodes=" ".join(str(p) for p in zone.postcodes), position=zone_position,
            )).returning(ShippingZone.id).run())[0]["id"]
            if zone.countries:
                await ShippingZoneCountry.insert(*(
                    ShippingZoneCountry(zone=zone_id, country=country) for country in sorted(zone.countries))).run()
            for method_position, method in enumerate(zone.methods):
                method_id = (await ShippingMethod.insert(ShippingMethod(
                    zone=zone_id, code=method.code, label=method.label, basis=method.basis,
                    currency=method.currency, position=method_position,
                    **{name: getattr(method, name) for name in METHOD_FIELDS},
                )).returning(ShippingMethod.id).run())[0]["id"]
                if method.bands:
                    await ShippingBand.insert(*(
                        ShippingBand(method=method_id, low=band.low, high=band.high, price=band.price, position=i)
                        for i, band in enumerate(method.bands))).run()
