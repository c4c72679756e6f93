"""Pricing hooks: base price, adjustments, tax. All run in the request."""
from __future__ import annotations

from engine import hookspec


@hookspec(firstresult=True)
def pricing_base_price(line, context, settings):
    """The unit price of ``line`` (a :class:`engine.protocols.PriceableLine`)
    before adjustments, for ``context`` (dict: currency, customer, channel).

    Firstresult: stops at the first non-None result; may be async. Request hook
    under the deadline. Returns :class:`engine.money.Money` or None to defer to
    the next plugin (the core default returns the catalog price).
    """


@hookspec
def pricing_adjustments(lines, context, settings):
    """Discounts and surcharges for a cart.

    Collect-all in hook order; may be async; request hook under the deadline.
    ``lines`` is a list of ``PriceableLine``; returns a list of
    :class:`engine.protocols.Adjustment` (``source`` = plugin name) or None.
    An adjustment's ``sku`` names the line it applies to, ``":shipping"`` the
    shipping charge (``context["shipping"]``, Money or None), or None the
    whole order. ``context`` also holds ``currency``, ``address``, ``email``,
    ``customer``, ``vouchers`` (codes) and ``prices_include_tax``. A plugin
    that raises or misses the deadline fails the pricing with a clear error: a
    wrong total is never shown.
    """


@hookspec(firstresult=True)
def pricing_tax_provider(context, settings):
    """The tax provider for ``context``.

    Firstresult: stops at the first non-None result; sync; request hook. Returns
    a :class:`engine.protocols.TaxProvider` whose ``compute`` runs in the request
    under the hook deadline. No answer means no tax lines.
    """
