"""The payment gateways offered by active plugins (``payment_gateways`` call site)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.plugins import HookError
from engine.protocols import PaymentGateway


@dataclass(frozen=True)
class GatewayEntry:
    plugin: str
    gateway: PaymentGateway

    @property
    def id(self) -> str:
        return self.gateway.id


def _gateways(plugin: str, items: Any) -> list[PaymentGateway]:
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"returned {items!r}, not a list of PaymentGateway")
    for gateway in items:
        if not isinstance(gateway, PaymentGateway):
            raise TypeError(f"{gateway!r} does not implement PaymentGateway")
    return list(items)


def takes(gateway: PaymentGateway, currency: str) -> bool:
    """Whether ``gateway`` takes payments in ``currency`` (its capabilities'
    ``currencies``; none listed: any currency)."""
    listed = getattr(getattr(gateway, "capabilities", None), "currencies", None)
    return not listed or currency in listed


async def available_gateways(runtime, currency: str | None = None) -> list[GatewayEntry]:
    """Gateways in hook order (only those taking ``currency`` when it is
    given: the checkout's offer). A plugin that fails, returns something that
    is not a ``PaymentGateway``, or an id another plugin already uses, is a
    HookError (the hook fails closed)."""
    entries: list[GatewayEntry] = []
    seen: dict[str, str] = {}
    for plugin, gateways in await runtime.host.hook("payment_gateways", accept=_gateways):
        for gateway in gateways:
            if gateway.id in seen:
                raise HookError(plugin, "payment_gateways", f"gateway id {gateway.id!r} is already used by {seen[gateway.id]!r}")
            seen[gateway.id] = plugin
            entries.append(GatewayEntry(plugin, gateway))
    return [entry for entry in entries if currency is None or takes(entry.gateway, currency)]


async def find_gateway(runtime, gateway_id: str) -> GatewayEntry | None:
    for entry in await available_gateways(runtime):
        if entry.id == gateway_id:
            return entry
    return None
