"""Reading and replacing the stored rate table (the plugin's tables; this
module is their only writer)."""
from __future__ import annotations

from typing import Any

from engine import sdk

from shopwright_shipping_rates.postcodes import parse_all
from shopwright_shipping_rates.rates import Band, Method, RateTable, Zone
from shopwright_shipping_rates.tables import ShippingBand, ShippingMethod, ShippingZone, ShippingZoneCountry

_ZONE = ShippingBand.method.zone
_COLUMNS = (
    ShippingBand.low, ShippingBand.high, ShippingBand.price,
    ShippingBand.method.id.as_alias("method_id"), ShippingBand.method.code.as_alias("code"),
    ShippingBand.method.label.as_alias("label"), ShippingBand.method.basis.as_alias("basis"),
    ShippingBand.method.currency.as_alias("currency"),
    _ZONE.id.as_alias("zone_id"), _ZONE.name.as_alias("zone"), _ZONE.postcodes.as_alias("postcodes"),
)


def _bands():
    """Every band with its method and zone, in the merchant's order (a zone
    always has a method, a method a band)."""
    return ShippingBand.select(*_COLUMNS).order_by(_ZONE.position, ShippingBand.method.position,
                                                   ShippingBand.position)


async def load_rates() -> RateTable:
    """The whole stored table (for export)."""
    rows = await _bands().run()
    countries: dict[int, set[str]] = {}
    for row in await ShippingZoneCountry.select(ShippingZoneCountry.zone, ShippingZoneCountry.country).run():
        countries.setdefault(row["zone"], set()).add(row["country"])
    return _table(rows, countries)


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
                          tuple(m["bands"])) for m in zone["methods"].values()))
        for zone_id, zone in zones.items()))


async def replace_rates(runtime: Any, table: RateTable) -> None:
    """Replace the stored table with ``table`` in one transaction: a reader
    sees the old table or the new one, never a mix, and a failure leaves
    the old one. Cached storefront pages (and the shipping promise they show,
    a free-over band) are dropped with the change in every process."""
    async with sdk.transaction(runtime):
        await sdk.storefront_changed(runtime)
        for stored in (ShippingBand, ShippingMethod, ShippingZoneCountry, ShippingZone):
            await stored.delete(force=True).run()
        for zone_position, zone in enumerate(table.zones):
            zone_id = (await ShippingZone.insert(ShippingZone(
                name=zone.name, postcodes=" ".join(str(p) for p in zone.postcodes), position=zone_position,
            )).returning(ShippingZone.id).run())[0]["id"]
            await ShippingZoneCountry.insert(*(
                ShippingZoneCountry(zone=zone_id, country=country) for country in sorted(zone.countries))).run()
            for method_position, method in enumerate(zone.methods):
                method_id = (await ShippingMethod.insert(ShippingMethod(
                    zone=zone_id, code=method.code, label=method.label, basis=method.basis,
                    currency=method.currency, position=method_position,
                )).returning(ShippingMethod.id).run())[0]["id"]
                await ShippingBand.insert(*(
                    ShippingBand(method=method_id, low=band.low, high=band.high, price=band.price, position=i)
                    for i, band in enumerate(method.bands))).run()
