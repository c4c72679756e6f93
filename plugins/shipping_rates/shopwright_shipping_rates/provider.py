"""The rate-table provider: quotes from the stored zones and rates."""
from __future__ import annotations

from engine.money import Money
from engine.protocols import ShippingQuote, ShippingQuoteRequest

from shopwright_shipping_rates.rates import Cart, free_over, prices
from shopwright_shipping_rates.store import load_rates, load_rates_for

PROVIDER_ID = "shipping_rates"


def quote_id(method_code: str) -> str:
    """The id a method is offered under: ``shipping_rates:<method>``."""
    return f"{PROVIDER_ID}:{method_code}"


class TableRates:
    """A :class:`engine.protocols.ShippingRateProvider` over the stored rate
    table. For the request's address it finds the most specific zone and
    offers each of its methods whose bands cover the cart — by weight
    (``request.weight_grams``), goods total after discounts
    (``request.goods_total``), number of units, or flat — as
    ``shipping_rates:<method>`` with the method's label, the band's price
    plus the method's handling fee, its delivery estimate and its tax class;
    a method whose order limits exclude the goods total is not offered.
    No zone for the address (or no country yet): no quotes. One indexed
    database read of the zones of the address's country, no network."""

    id = PROVIDER_ID

    async def quotes(self, request: ShippingQuoteRequest) -> list[ShippingQuote]:
        if not request.country:
            return []
        cart = Cart(currency=request.currency, weight_grams=request.weight_grams,
                    goods_total=request.goods_total.amount, items=sum(line.quantity for line in request.lines))
        found = prices(await load_rates_for(request.country), cart, request.country, request.postal_code)
        return [ShippingQuote(quote_id(p.method.code), p.method.label, Money(p.amount, request.currency),
                              PROVIDER_ID, p.method.estimated_days, tax_class=p.method.tax_class or None)
                for p in found]

    async def free_shipping_from(self, currency: str) -> Money | None:
        """The goods total from which every zone ships free (a ``subtotal``
        band from it, open-ended, priced 0.00), else None. Reads the whole table."""
        threshold = free_over(await load_rates(), currency)
        return None if threshold is None else Money(threshold, currency)
