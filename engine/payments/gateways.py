"""The payment gateways offered by active plugins (``payment_gateways`` call site)."""
from __future__ import annotations

from dataclasses import dataclass

from engine.plugins import HookError
from engine.protocols import PaymentGateway


@dataclass(frozen=True)
class GatewayEntry:
    plugin: str
    gateway: PaymentGateway

    @property
    def id(self) -> str:
        return self.gateway.id


async def available_gateways(runtime) -> list[GatewayEntry]:
    """Gateways in hook order. A plugin returning something that is not a
    ``PaymentGateway``, or an id another plugin already uses, is a HookError."""
    entries: list[GatewayEntry] = []
    seen: dict[str, str] = {}
    for plugin, gateways in await runtime.host.call_each("payment_gateways"):
        for gateway in gateways:
            if not isinstance(gateway, PaymentGateway):
                raise HookError(plugin, "payment_gateways", f"{gateway!r} does not implement PaymentGateway")
            if gateway.id in seen:
                raise HookError(plugin, "payment_gateways", f"gateway id {gateway.id!r} is already used by {seen[gateway.id]!r}")
            seen[gateway.id] = plugin
            entries.append(GatewayEntry(plugin, gateway))
    return entries


async def find_gateway(runtime, gateway_id: str) -> GatewayEntry | None:
    for entry in await available_gateways(runtime):
        if entry.id == gateway_id:
            return entry
    return None
