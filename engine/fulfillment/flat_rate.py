"""The core flat-rate shipping method: one price per order, free from a goods
total on (both settings of the ``core_shipping`` default plugin)."""
from __future__ import annotations

from typing import Sequence

from engine.money import Money
from engine.protocols import ShippingQuote, ShippingQuoteRequest

PROVIDER_ID = "flat_rate"
QUOTE_ID = "flat_rate:standard"


class FlatRate:
    """A :class:`engine.protocols.ShippingRateProvider`.

    ``price`` and ``free_over`` are minor units of the request's currency;
    ``free_over`` None never waives it. It is compared with the goods total
    after discounts (``request.goods_total``). ``countries`` empty: ships
    everywhere; else only to those ISO codes (and, before the country is
    known, quotes as if it ships there)."""

    id = PROVIDER_ID

    def __init__(self, price: int, free_over: int | None = None, label: str = "Standard shipping",
                 countries: Sequence[str] = (), estimated_days: tuple[int, int] | None = (2, 5)) -> None:
        self.price, self.free_over, self.label = price, free_over, label
        self.countries = {c.upper() for c in countries}
        self.estimated_days = estimated_days

    async def quotes(self, request: ShippingQuoteRequest) -> list[ShippingQuote]:
        country = (request.country or "").upper()
        if self.countries and country and country not in self.countries:
            return []
        free = self.free_over is not None and request.goods_total.amount >= self.free_over
        return [ShippingQuote(QUOTE_ID, self.label, Money(0 if free else self.price, request.currency), PROVIDER_ID,
                              self.estimated_days)]

    async def free_shipping_from(self, currency: str) -> Money | None:
        """The goods total from which this method is free, None when never."""
        return None if self.free_over is None else Money(self.free_over, currency)
