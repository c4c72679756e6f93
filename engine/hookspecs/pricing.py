"""Pricing hooks: base price, adjustments, tax. All run in the request."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("first", "request")
def pricing_base_price(line, context, settings):
    """The unit price of ``line`` (a :class:`engine.protocols.PriceableLine`)
    before adjustments, for ``context`` (dict: currency, customer, channel).

    Firstresult: stops at the first non-None result; may be async. Request hook
    under the deadline. Returns :class:`engine.money.Money` (in the cart's
    currency, not negative) or None to defer to the next plugin (without an
    answer the line keeps its catalog price). Fails closed: a plugin that
    raises, misses the deadline or answers something else fails the pricing
    with an error naming it, as the catalog price may not be the shopper's.
    """


@spec("collect", "request", on_failure="skip")
def pricing_adjustments(lines, context, settings):
    """Discounts and surcharges for a cart.

    Collect-all in hook order; may be async; request hook under the deadline.
    ``lines`` is a list of ``PriceableLine``; returns a list of
    :class:`engine.protocols.Adjustment` (``source`` = plugin name) or None.
    An adjustment's ``sku`` names the line it applies to, ``":shipping"`` the
    shipping charge (``context["shipping"]``, Money or None), or None the
    whole order. ``context`` also holds ``currency``, ``address``, ``email``,
    ``customer``, ``vouchers`` (codes) and ``prices_include_tax``. A plugin
    that raises, misses the deadline or answers anything but such a list (in
    the cart's currency, for lines in the cart) is left out: the cart, the
    checkout and the order are priced without its adjustments, the cart says
    some discounts are unavailable, and the failure is logged and shown to
    staff.
    """


@spec("first", "request")
def pricing_tax_provider(context, settings):
    """The tax provider for ``context``.

    Firstresult: stops at the first non-None result; may be async; request
    hook. Returns a :class:`engine.protocols.TaxProvider` whose ``compute``
    runs in the request under the hook deadline. No answer means no tax
    lines. Fails closed: a plugin that raises here, or whose ``compute``
    raises, misses the deadline or answers something else, fails the pricing
    with an error naming it (the checkout stops with HTTP 502): a total
    without its tax is never shown or charged.
    """


@spec("collect", "request", on_failure="skip")
def pricing_reuse(lines, context, settings):
    """Whether the prices this plugin gave for ``lines`` and ``context`` may be
    shown again, unasked, to the same cart, and until when.

    Collect-all; may be async; request hook under the deadline. Called after a
    cart was priced for the cart page (never in checkout, which always prices
    afresh). Return :class:`engine.protocols.PricingReuse` when this plugin's
    ``pricing_*`` answers for the same lines and context depend on nothing but
    its settings and the data the change counters track (catalog, stock,
    promotions and voucher usage; see ``docs/performance.md``), with ``until``
    set to the moment they could change by time alone (a promotion starting or
    ending), or None when they cannot. Return None, or leave the hook out, when
    they may depend on anything else (the time of day, a remote service, a
    table of your own): the cart page is then priced on every view while the
    plugin is active. The page is reused only when every active plugin that
    implements a ``pricing_*`` hook answers; a plugin that fails here counts
    as no answer.
    """
