"""The pricing pipeline (call site of the ``pricing_*`` hooks).

Order of work, all inside the request under ``plugins.hook_deadline_seconds``:

1. Base price per line: ``pricing_base_price`` (firstresult); no answer keeps
   the catalog price already on the line.
2. Adjustments: ``pricing_adjustments`` (collect-all), kept in hook order
   (plugin priority, then name) so the result does not depend on the order the
   plugins were installed or registered. ``source`` is always the plugin's name.
3. Discounts never take the goods total below zero: the discount total is
   capped at the subtotal (the cap is applied to the last adjustments first).
4. Tax: the ``pricing_tax_provider`` (firstresult) computes tax lines; with
   ``prices_include_tax`` they are informational and not added to the total.

Every amount is :class:`engine.money.Money` in one currency; a plugin answering
in another currency, or with the wrong type, fails the pricing with a
HookError — a wrong total is never shown.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from engine.money import Money
from engine.plugins import HookError
from engine.protocols import Adjustment, PriceableLine, TaxLine, TaxProvider


@dataclass(frozen=True)
class PricedCart:
    currency: str
    lines: list[PriceableLine]
    subtotal: Money
    adjustments: list[Adjustment] = field(default_factory=list)
    discount_total: Money | None = None
    tax_lines: list[TaxLine] = field(default_factory=list)
    tax_total: Money | None = None
    prices_include_tax: bool = False

    @property
    def total(self) -> Money:
        total = self.subtotal + self.discount_total
        if not self.prices_include_tax:
            total = total + self.tax_total
        return total


def _check_money(value: Any, currency: str, plugin: str, hook: str) -> Money:
    if not isinstance(value, Money):
        raise HookError(plugin, hook, f"returned {value!r}, not Money")
    if value.currency != currency:
        raise HookError(plugin, hook, f"returned {value.currency}, the cart is in {currency}")
    return value


async def price_lines(runtime, lines: Sequence[PriceableLine], context: Mapping[str, Any]) -> PricedCart:
    """Price ``lines`` for ``context`` (``currency``, ``address``, ``prices_include_tax``, ...)."""
    host = runtime.host
    deadline = runtime.settings.plugins.hook_deadline_seconds
    currency = context["currency"]
    priced: list[PriceableLine] = []
    for line in lines:
        if line.quantity < 1:
            raise ValueError(f"quantity of {line.sku} must be at least 1")
        _check_money(line.unit_price, currency, "core", "catalog price")
        unit = await host.first("pricing_base_price", deadline, line=line, context=context)
        if unit is not None:
            unit = _check_money(unit, currency, _answering_plugin(host, "pricing_base_price"), "pricing_base_price")
            line = replace(line, unit_price=unit)
        priced.append(line)
    subtotal = sum((line.unit_price.times(line.quantity) for line in priced), Money.zero(currency))

    adjustments: list[Adjustment] = []
    for plugin, result in await host.call_each("pricing_adjustments", deadline, lines=priced, context=context):
        for adjustment in result:
            if not isinstance(adjustment, Adjustment):
                raise HookError(plugin, "pricing_adjustments", f"returned {adjustment!r}, not Adjustment")
            _check_money(adjustment.amount, currency, plugin, "pricing_adjustments")
            adjustments.append(replace(adjustment, source=plugin))
    adjustments = _cap_discounts(adjustments, subtotal)
    discount_total = sum((a.amount for a in adjustments), Money.zero(currency))

    include_tax = bool(context.get("prices_include_tax", False))
    tax_lines: list[TaxLine] = []
    provider = await host.first("pricing_tax_provider", deadline, context=context)
    if provider is not None:
        if not isinstance(provider, TaxProvider):
            raise HookError("tax provider", "pricing_tax_provider", f"{provider!r} does not implement TaxProvider")
        try:
            tax_lines = list(await asyncio.wait_for(provider.compute(priced, context.get("address"), include_tax), deadline))
        except asyncio.TimeoutError:
            raise HookError(provider.id, "pricing_tax_provider", f"missed its {deadline}s deadline") from None
        for tax_line in tax_lines:
            _check_money(tax_line.amount, currency, provider.id, "pricing_tax_provider")
    tax_total = sum((t.amount for t in tax_lines), Money.zero(currency))
    return PricedCart(currency, priced, subtotal, adjustments, discount_total, tax_lines, tax_total, include_tax)


def _answering_plugin(host, hook: str) -> str:
    subscribers = host.subscribers(hook)
    return subscribers[0] if subscribers else "unknown"


def _cap_discounts(adjustments: list[Adjustment], subtotal: Money) -> list[Adjustment]:
    """Shrink the last discounts so goods + adjustments never go below zero."""
    total = subtotal + sum((a.amount for a in adjustments), Money.zero(subtotal.currency))
    if total.amount >= 0:
        return adjustments
    excess = -total.amount
    capped = list(adjustments)
    for index in range(len(capped) - 1, -1, -1):
        if excess == 0:
            break
        amount = capped[index].amount.amount
        if amount >= 0:
            continue
        relief = min(excess, -amount)
        capped[index] = replace(capped[index], amount=Money(amount + relief, subtotal.currency))
        excess -= relief
    return capped
