"""Reading and replacing the stored rate table (the plugin's tables; the
only writer of them)."""
from __future__ import annotations

from typing import Any

from engine import sdk

from shopwright_shipping_rates.postcodes import parse_all
from shopwright_shipping_rates.rates import Band, Method, RateTable, Zone
from shopwright_shipping_rates.tables import ShippingBand, ShippingMethod, ShippingZone


async def load_rates() -> RateTable:
    """The stored table, in the merchant's order (one query: every band with
    its method and zone; a zone always has a method, a method a band)."""
    rows = await ShippingBand.select(
        ShippingBand.low, ShippingBand.high, ShippingBand.price,
        ShippingBand.method.id.as_alias("method_id"), ShippingBand.method.code.as_alias("code"),
        ShippingBand.method.label.as_alias("label"), ShippingBand.method.basis.as_alias("basis"),
        ShippingBand.method.currency.as_alias("currency"),
        ShippingBand.method.zone.id.as_alias("zone_id"), ShippingBand.method.zone.name.as_alias("zone"),
        ShippingBand.method.zone.countries.as_alias("countries"),
        ShippingBand.method.zone.postcodes.as_alias("postcodes"),
    ).order_by(ShippingBand.method.zone.position, ShippingBand.method.position, ShippingBand.position).run()
    return _table(rows)


def _table(rows: list[dict[str, Any]]) -> RateTable:
    zones: dict[int, dict[str, Any]] = {}
    for row in rows:
        zone = zones.setdefault(row["zone_id"], {"row": row, "methods": {}})
        method = zone["methods"].setdefault(row["method_id"], {"row": row, "bands": []})
        method["bands"].append(Band(row["low"], row["high"], row["price"]))
    return RateTable(tuple(
        Zone(zone["row"]["zone"], frozenset(zone["row"]["countries"].split()), parse_all(zone["row"]["postcodes"]),
             tuple(Method(m["row"]["code"], m["row"]["label"], m["row"]["basis"], m["row"]["currency"],
                          tuple(m["bands"])) for m in zone["methods"].values()))
        for zone in zones.values()))


async def replace_rates(runtime: Any, table: RateTable) -> None:
    """Replace the stored table with ``table`` in one transaction: a reader
    sees the old table or the new one, never a mix, and a failure leaves
    the old one."""
    async with sdk.transaction(runtime):
        await ShippingBand.delete(force=True).run()
        await ShippingMethod.delete(force=True).run()
        await ShippingZone.delete(force=True).run()
        for zone_position, zone in enumerate(table.zones):
            zone_id = (await ShippingZone.insert(ShippingZone(
                name=zone.name, countries=" ".join(sorted(zone.countries)),
                postcodes=" ".join(str(p) for p in zone.postcodes), position=zone_position,
            )).returning(ShippingZone.id).run())[0]["id"]
            for method_position, method in enumerate(zone.methods):
                method_id = (await ShippingMethod.insert(ShippingMethod(
                    zone=zone_id, code=method.code, label=method.label, basis=method.basis,
                    currency=method.currency, position=method_position,
                )).returning(ShippingMethod.id).run())[0]["id"]
                await ShippingBand.insert(*(
                    ShippingBand(method=method_id, low=band.low, high=band.high, price=band.price, position=i)
                    for i, band in enumerate(method.bands))).run()
