"""The pricing pipeline (call site of the ``pricing_*`` hooks).

Order of work, all inside the request under ``plugins.hook_deadline_seconds``:

1. Base price per line: ``pricing_base_price`` (firstresult); no answer keeps
   the catalog price already on the line.
2. Adjustments: ``pricing_adjustments`` (collect-all), kept in hook order
   (plugin priority, then name) so the result does not depend on the order the
   plugins were installed or registered. ``source`` is always the plugin's name.
   An adjustment with ``sku`` set applies to that line; ``sku`` =
   :data:`SHIPPING` applies to the shipping charge (``context["shipping"]``);
   otherwise it applies to the whole order.
3. Caps, so nothing goes below zero: a line's own adjustments never exceed the
   line, the goods adjustments never exceed the goods subtotal, the shipping
   adjustments never exceed the shipping charge. When a cap bites, the last
   adjustments (in hook order) shrink first.
4. Allocation: order-level adjustments (surcharges first, then discounts, each
   in hook order) are shared among the lines pro rata to each line's amount
   after what was allocated before (largest remainder, ties to the earlier
   line), so every line knows its net amount, never below zero.
5. Tax: the ``pricing_tax_provider`` (firstresult) computes tax lines on the
   *taxable lines*: one per cart line with ``quantity`` 1 and ``unit_price``
   = the line's net amount, plus one line with ``sku`` = :data:`SHIPPING` and
   ``tax_class`` ``context["shipping_tax_class"]`` (the chosen quote's, default
   ``"shipping"``) for a net shipping charge above zero. With
   ``prices_include_tax`` the tax is contained in the prices (informational,
   not added to the total).

Totals: ``total = subtotal + shipping + adjustments (+ tax unless prices
include it)``; it is never negative.

Rounding: amounts are integer minor units of the currency (ISO 4217 exponent:
2 for EUR/USD, 0 for JPY/KRW, 3 for KWD/BHD...). Any rate or percentage is
applied with :meth:`engine.money.Money.apply_rate` — exact decimal arithmetic,
rounded once, half to even, to a whole minor unit.

Every amount is :class:`engine.money.Money` in one currency. Failures follow
each hook's contract (:mod:`engine.hookspecs.pricing`): a base-price or tax
plugin that raises, misses the deadline, or answers in another currency or
with the wrong type fails the pricing with a HookError naming it — a wrong
total is never shown; an adjustments plugin that does is left out (its
name in :attr:`PricedCart.unavailable`), so the cart and the checkout are
priced alike, without its adjustments.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from engine.money import Money
from engine.plugins import HookError
from engine.protocols import Adjustment, PriceableLine, TaxLine, TaxProvider

#: ``Adjustment.sku`` of an adjustment to the shipping charge (never a valid SKU).
SHIPPING = ":shipping"


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
    shipping: Money | None = None
    #: Per line (same order as ``lines``): the line's share of the goods adjustments.
    line_adjustments: list[Money] = field(default_factory=list)
    #: Plugins whose adjustments were left out because they failed (hook order).
    unavailable: tuple[str, ...] = ()
    #: The tax class of the shipping charge (the chosen quote's).
    shipping_tax_class: str = "shipping"

    @property
    def shipping_total(self) -> Money:
        return self.shipping if self.shipping is not None else Money.zero(self.currency)

    @property
    def shipping_adjustment(self) -> Money:
        return sum((a.amount for a in self.adjustments if a.sku == SHIPPING), Money.zero(self.currency))

    @property
    def total(self) -> Money:
        total = self.subtotal + self.shipping_total + self.discount_total
        if not self.prices_include_tax:
            total = total + self.tax_total
        return total

    def line_total(self, index: int) -> Money:
        """Line ``index`` after its share of the adjustments (tax not included)."""
        line = self.lines[index]
        share = self.line_adjustments[index] if self.line_adjustments else Money.zero(self.currency)
        return line.unit_price.times(line.quantity) + share


def _check_money(value: Any, currency: str, plugin: str, hook: str) -> Money:
    if not isinstance(value, Money):
        raise HookError(plugin, hook, f"returned {value!r}, not Money")
    if value.currency != currency:
        raise HookError(plugin, hook, f"returned {value.currency}, the cart is in {currency}")
    return value


async def price_lines(runtime, lines: Sequence[PriceableLine], context: Mapping[str, Any]) -> PricedCart:
    """Price ``lines`` for ``context``: ``currency`` (required), ``address``
    (dict or None), ``prices_include_tax``, ``shipping`` (Money or None),
    ``shipping_tax_class`` (str or None: ``"shipping"``), ``vouchers`` (codes), ``email``, ``customer`` (id or None)."""
    host = runtime.host
    currency = context["currency"]
    priced: list[PriceableLine] = []
    for line in lines:
        if line.quantity < 1:
            raise ValueError(f"quantity of {line.sku} must be at least 1")
        _check_money(line.unit_price, currency, "core", "catalog price")
        unit = await host.hook("pricing_base_price", line=line, context=context,
                               accept=lambda plugin, price, sku=line.sku: _unit_price(price, currency, sku))
        if unit is not None:
            line = replace(line, unit_price=unit)
        priced.append(line)
    subtotal = sum((line.unit_price.times(line.quantity) for line in priced), Money.zero(currency))
    shipping = context.get("shipping")
    if shipping is not None:
        shipping = _check_money(shipping, currency, "core", "shipping quote")

    skus = {line.sku for line in priced}
    answers = await host.hook("pricing_adjustments", lines=priced, context=context,
                              accept=lambda plugin, result: _adjustments(plugin, result, currency, skus))
    adjustments = [adjustment for _, result in answers for adjustment in result]
    adjustments = _cap(adjustments, priced, subtotal, shipping or Money.zero(currency))
    discount_total = sum((a.amount for a in adjustments), Money.zero(currency))
    line_adjustments = allocate(adjustments, priced, currency)

    include_tax = bool(context.get("prices_include_tax", False))
    cart = PricedCart(currency, priced, subtotal, adjustments, discount_total, [], Money.zero(currency),
                      include_tax, shipping, line_adjustments, tuple(error.plugin for error in answers.skipped),
                      context.get("shipping_tax_class") or "shipping")
    tax_lines: list[TaxLine] = []
    answer = await host.hook("pricing_tax_provider", context=context, accept=_tax_provider)
    if answer is not None:
        plugin, provider = answer
        tax_lines = await host.call_provider("pricing_tax_provider", plugin, provider.compute,
                                             taxable_lines(cart), context.get("address"), include_tax,
                                             accept=lambda _, answer: _tax_lines(answer, currency))
        if tax_lines is None:
            raise HookError(plugin, "pricing_tax_provider", "compute returned None, not a list of TaxLine")
    tax_total = sum((t.amount for t in tax_lines), Money.zero(currency))
    return replace(cart, tax_lines=tax_lines, tax_total=tax_total)


def _unit_price(price: Any, currency: str, sku: str) -> Money:
    """A ``pricing_base_price`` answer, checked."""
    if not isinstance(price, Money):
        raise TypeError(f"returned {price!r}, not Money")
    if price.currency != currency:
        raise ValueError(f"returned {price.currency}, the cart is in {currency}")
    if price.amount < 0:
        raise ValueError(f"returned a negative price for {sku}")
    return price


def _adjustments(plugin: str, result: Any, currency: str, skus: set[str]) -> list[Adjustment]:
    """A ``pricing_adjustments`` answer, checked, each adjustment's ``source`` the plugin."""
    if not isinstance(result, (list, tuple)):
        raise TypeError(f"returned {result!r}, not a list of Adjustment")
    checked = []
    for adjustment in result:
        if not isinstance(adjustment, Adjustment):
            raise TypeError(f"returned {adjustment!r}, not Adjustment")
        if not isinstance(adjustment.amount, Money):
            raise TypeError(f"returned {adjustment.amount!r}, not Money")
        if adjustment.amount.currency != currency:
            raise ValueError(f"returned {adjustment.amount.currency}, the cart is in {currency}")
        if adjustment.sku is not None and adjustment.sku != SHIPPING and adjustment.sku not in skus:
            raise ValueError(f"adjusts {adjustment.sku!r}, which is not in the cart")
        checked.append(replace(adjustment, source=plugin))
    return checked


def _tax_provider(plugin: str, provider: Any) -> tuple[str, TaxProvider]:
    """A ``pricing_tax_provider`` answer, checked, with the plugin that gave it."""
    if not isinstance(provider, TaxProvider):
        raise TypeError(f"{provider!r} does not implement TaxProvider")
    return plugin, provider


def _tax_lines(tax_lines: Any, currency: str) -> list[TaxLine]:
    """A tax provider's ``compute`` answer, checked."""
    if not isinstance(tax_lines, (list, tuple)):
        raise TypeError(f"returned {tax_lines!r}, not a list of TaxLine")
    for tax_line in tax_lines:
        if not isinstance(tax_line, TaxLine):
            raise TypeError(f"returned {tax_line!r}, not TaxLine")
        if not isinstance(tax_line.amount, Money):
            raise TypeError(f"returned {tax_line.amount!r}, not Money")
        if tax_line.amount.currency != currency:
            raise ValueError(f"returned {tax_line.amount.currency}, the cart is in {currency}")
        if tax_line.amount.amount < 0:
            raise ValueError("returned a negative tax amount")
    return list(tax_lines)


def taxable_lines(cart: PricedCart) -> list[PriceableLine]:
    """What tax is due on: each line's net amount, and the net shipping charge."""
    out = []
    for index, line in enumerate(cart.lines):
        out.append(replace(line, quantity=1, unit_price=cart.line_total(index)))
    net_shipping = cart.shipping_total + cart.shipping_adjustment
    if net_shipping.amount > 0:
        out.append(PriceableLine(sku=SHIPPING, quantity=1, unit_price=net_shipping,
                                   tax_class=cart.shipping_tax_class))
    return out


def _shrink(adjustments: list[Adjustment], indexes: list[int], excess: int) -> None:
    """Reduce the discounts at ``indexes`` (last first) by ``excess`` in total."""
    for index in reversed(indexes):
        if excess <= 0:
            return
        amount = adjustments[index].amount
        if amount.amount >= 0:
            continue
        relief = min(excess, -amount.amount)
        adjustments[index] = replace(adjustments[index], amount=Money(amount.amount + relief, amount.currency))
        excess -= relief


def _cap(adjustments: list[Adjustment], lines: list[PriceableLine], subtotal: Money, shipping: Money) -> list[Adjustment]:
    capped = list(adjustments)
    for line in lines:
        mine = [i for i, a in enumerate(capped) if a.sku == line.sku]
        net = line.unit_price.times(line.quantity).amount + sum(capped[i].amount.amount for i in mine)
        if net < 0:
            _shrink(capped, mine, -net)
    goods = [i for i, a in enumerate(capped) if a.sku != SHIPPING]
    net = subtotal.amount + sum(capped[i].amount.amount for i in goods)
    if net < 0:
        _shrink(capped, goods, -net)
    freight = [i for i, a in enumerate(capped) if a.sku == SHIPPING]
    net = shipping.amount + sum(capped[i].amount.amount for i in freight)
    if net < 0:
        _shrink(capped, freight, -net)
    return capped


def split_pro_rata(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` minor units over ``weights`` (≥ 0) exactly: largest
    remainder, ties to the earlier entry. All weights zero: an even split."""
    if not weights:
        return []
    total = sum(weights)
    if total <= 0:
        weights, total = [1] * len(weights), len(weights)
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    shares = [magnitude * w // total for w in weights]
    remainders = [(magnitude * w % total, -i) for i, w in enumerate(weights)]
    leftover = magnitude - sum(shares)
    for _, negative_index in sorted(remainders, reverse=True)[:leftover]:
        shares[-negative_index] += 1
    return [sign * s for s in shares]


def allocate(adjustments: Sequence[Adjustment], lines: Sequence[PriceableLine], currency: str) -> list[Money]:
    """Each line's share of the goods adjustments (its own plus a pro-rata part
    of the order-level ones)."""
    shares = [0] * len(lines)
    index_of = {line.sku: i for i, line in enumerate(lines)}
    for adjustment in adjustments:
        if adjustment.sku is not None and adjustment.sku != SHIPPING:
            shares[index_of[adjustment.sku]] += adjustment.amount.amount
    # Surcharges first, then discounts: the caps guarantee the discounts fit
    # into what the lines then hold, so no line's share makes it negative.
    whole_order = [a for a in adjustments if a.sku is None]
    for adjustment in [a for a in whole_order if a.amount.amount > 0] + [a for a in whole_order if a.amount.amount <= 0]:
        if adjustment.sku is None:
            weights = [max(line.unit_price.times(line.quantity).amount + shares[i], 0) for i, line in enumerate(lines)]
            for i, part in enumerate(split_pro_rata(adjustment.amount.amount, weights)):
                shares[i] += part
    return [Money(share, currency) for share in shares]
