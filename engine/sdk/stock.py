"""Setting stock for many SKUs at once, with an origin."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from engine.catalog.stock_levels import set_stock_levels

__all__ = ["StockChanges", "set_stock"]


@dataclass(frozen=True)
class StockChanges:
    """What :func:`set_stock` did: the SKUs whose on-hand quantity changed
    (one ``stock_changed`` event each) and those already at that quantity
    (nothing written), in the order given, and the warehouse's code."""

    warehouse: str
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]


async def set_stock(runtime: Any, quantities: Mapping[str, int], *, origin: str,
                    warehouse: str | None = None) -> StockChanges:
    """Set the on-hand quantity of every SKU in ``quantities`` (``{sku:
    on_hand}``, up to 10,000 SKUs, each 0 to 10⁹) in ``warehouse`` (None:
    the default warehouse), in one transaction, through the catalog's own
    write path; reservations are kept. Each SKU whose quantity changes emits
    a ``stock_changed`` event whose payload carries ``origin`` (``{"sku",
    "variant_id", "warehouse", "on_hand", "reserved", "available",
    "origin"}``), so the plugin that made the change can skip it; ``origin``
    is your plugin's name (1–64 characters: lower-case letters, digits,
    ``_.:-``). Stock the shop changes itself has origin ``catalog`` (the catalog
    services: admin, API, product saves) or ``orders`` (reservations and
    sales).

    An unknown SKU or warehouse raises :class:`~engine.sdk.NotFound` and a bad
    quantity :class:`~engine.sdk.InvalidInput`, naming it; nothing is
    written then. Example (an ERP import, and its event handler skipping its
    own changes)::

        changes = await sdk.set_stock(runtime, {"TEE-S": 12, "TEE-M": 0}, origin="erp_sync")

        @hookimpl
        async def jobs_handle_event(event, settings, runtime):
            if event.name == "stock_changed" and event.payload["origin"] != "erp_sync":
                await push_stock(settings, event.payload["sku"], event.payload["on_hand"])
    """
    result = await set_stock_levels(runtime, quantities, warehouse, origin)
    return StockChanges(result["warehouse"], tuple(result["changed"]), tuple(result["unchanged"]))
