"""Provider protocols and the value types hooks exchange.

Collect-all hooks return provider objects implementing these small Protocols;
the core calls the protocol, pluggy only discovers the providers. Every method
that may do I/O is ``async``. Money values are :class:`engine.money.Money`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Protocol, Sequence, runtime_checkable

from engine.money import Money


# ---------------------------------------------------------------- pricing
@dataclass(frozen=True)
class PriceableLine:
    """A cart or order line as the pricing pipeline sees it."""

    sku: str
    quantity: int
    unit_price: Money
    product_id: int | None = None
    category_ids: tuple[int, ...] = ()
    tax_class: str = "standard"


@dataclass(frozen=True)
class Adjustment:
    """One discount or surcharge line: negative ``amount`` is a discount.

    ``source`` is the name of the plugin that made it; ``sku`` is set when it
    applies to one line, else it applies to the whole order.
    """

    label: str
    amount: Money
    source: str
    code: str | None = None
    sku: str | None = None


@dataclass(frozen=True)
class TaxLine:
    label: str
    rate: Any  # decimal.Decimal
    amount: Money


@dataclass(frozen=True)
class PricingReuse:
    """A plugin's answer to ``pricing_reuse``: its prices for a cart stay right
    until ``until`` (an aware datetime), or while the data they came from is
    unchanged when ``until`` is None."""

    until: Any = None  # datetime.datetime | None


@runtime_checkable
class TaxProvider(Protocol):
    """Computes tax for priced lines. Runs in the request: fast, no network
    unless the provider keeps its own deadline."""

    id: str

    async def compute(
        self, lines: Sequence[PriceableLine], address: Mapping[str, Any] | None, prices_include_tax: bool
    ) -> list[TaxLine]: ...


# ---------------------------------------------------------------- catalog
@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    category: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    sort: Literal["relevance", "price_asc", "price_desc", "newest"] = "relevance"
    cursor: str | None = None
    limit: int = 24


@dataclass(frozen=True)
class SearchResult:
    product_ids: list[int]
    next_cursor: str | None = None
    total: int | None = None


@runtime_checkable
class SearchBackend(Protocol):
    """Finds products. ``search`` runs in the request; ``reindex`` in the worker."""

    id: str

    async def search(self, query: SearchQuery) -> SearchResult: ...

    async def reindex(self, product_ids: Sequence[int] | None = None) -> None: ...


# ---------------------------------------------------------------- fulfillment
@dataclass(frozen=True)
class ShippingQuote:
    """A shipping option offered to the shopper. ``id`` is unique across providers
    (conventionally ``<provider id>:<service>``)."""

    id: str
    label: str
    price: Money
    provider: str
    estimated_days: tuple[int, int] | None = None


@dataclass(frozen=True)
class ShippingLine:
    """One cart line as a shipping provider sees it: ``unit_price`` after the
    pricing hooks' base price, ``weight_grams`` per unit (0 when unknown)."""

    sku: str
    quantity: int
    unit_price: Money
    weight_grams: int = 0


@dataclass(frozen=True)
class ShippingQuoteRequest:
    """What :meth:`ShippingRateProvider.quotes` is asked to quote.

    ``currency`` of every amount (quotes must be in it); ``subtotal`` the
    lines' total and ``goods_total`` after discounts (shipping and tax not
    included); ``weight_grams`` the whole cart's weight. The destination may
    be partial before the shopper has entered an address: ``country``
    (ISO 3166-1 alpha-2), ``region``, ``postal_code``, ``city``, each None
    when unknown, and ``address`` the whole address dict when there is one.
    """

    currency: str
    subtotal: Money
    goods_total: Money
    lines: tuple[ShippingLine, ...] = ()
    weight_grams: int = 0
    country: str | None = None
    region: str | None = None
    postal_code: str | None = None
    city: str | None = None
    address: Mapping[str, Any] | None = None


@runtime_checkable
class ShippingRateProvider(Protocol):
    """Quotes shipping for a cart. ``quotes`` runs in the request under the hook
    deadline (concurrently with the other providers) and returns the
    provider's options, in its order (an empty list: it does not ship there)."""

    id: str

    async def quotes(self, request: ShippingQuoteRequest) -> list[ShippingQuote]: ...


# ---------------------------------------------------------------- checkout
@dataclass(frozen=True)
class CheckoutView:
    """The checkout about to become an order, as ``checkout_validate`` sees it.

    ``email`` and the cleaned addresses (dicts: ``first_name``, ``last_name``,
    ``company``, ``line1``, ``line2``, ``city``, ``region``, ``postal_code``,
    ``country``, ``phone``; ``billing_address`` is the shipping address when
    the shopper gave none); ``customer`` the signed-in customer's id or None;
    ``cart_id`` the cart's id; ``shipping_method`` and ``payment_method`` the
    chosen quote and gateway ids; ``lines`` the priced lines (unit prices
    after ``pricing_base_price``); ``adjustments`` the discounts and
    surcharges applied; the totals, all in ``currency``, with
    ``discounts`` what the adjustments take off (negative for a surcharge),
    so ``total = subtotal - discounts + shipping + tax`` (tax only when
    prices do not include it).
    """

    email: str
    shipping_address: Mapping[str, Any]
    billing_address: Mapping[str, Any]
    shipping_method: str
    payment_method: str
    currency: str
    lines: tuple[PriceableLine, ...]
    subtotal: Money
    discounts: Money
    shipping: Money
    tax: Money
    total: Money
    prices_include_tax: bool = False
    adjustments: tuple[Adjustment, ...] = ()
    customer: int | None = None
    cart_id: str = ""


# ---------------------------------------------------------------- payment
@dataclass(frozen=True)
class PaymentAction:
    """What the client must do next after a payment was started.

    ``kind``: ``none`` (nothing, e.g. manual transfer), ``redirect`` (``data['url']``),
    ``client_secret`` (``data['client_secret']`` for provider-hosted fields).
    ``reference`` is the provider's id of the payment.
    """

    kind: Literal["none", "redirect", "client_secret"]
    reference: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookOutcome:
    """What a verified provider webhook means for the core.

    ``event_id`` is the provider's id: a replay with the same id is ignored.
    ``status`` is the payment's new state, if any.
    """

    event_id: str
    reference: str | None = None
    status: Literal["authorized", "paid", "failed", "refunded", "cancelled"] | None = None
    amount: Money | None = None


@runtime_checkable
class PaymentGateway(Protocol):
    """Moves money. Card data never reaches the server: ``start`` returns a
    provider-hosted step. All methods may do network I/O with their own timeout."""

    id: str
    title: str

    async def start(self, order: Mapping[str, Any]) -> PaymentAction: ...

    async def capture(self, reference: str, amount: Money) -> None: ...

    async def refund(self, reference: str, amount: Money) -> None: ...

    async def cancel(self, reference: str) -> None: ...

    async def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        """Raise ``ValueError`` if the signature does not verify."""
        ...


# ---------------------------------------------------------------- auth
@runtime_checkable
class LoginMethod(Protocol):
    """A way to sign in (password, OpenID Connect, ...). ``begin`` returns a URL
    to send the shopper or staff member to, or None to show the built-in form."""

    id: str
    title: str

    async def begin(self, request: Any) -> str | None: ...


# ---------------------------------------------------------------- admin / jobs
@dataclass(frozen=True)
class Permission:
    """A staff permission, e.g. ``catalog:write``, with a human description."""

    code: str
    description: str


@dataclass(frozen=True)
class AdminMenuItem:
    label: str
    url: str
    permission: str


@dataclass(frozen=True)
class JobDefinition:
    """A background job contributed through ``jobs_register``.

    ``name`` is ``<plugin>.<task>``; ``func`` is ``async def func(ctx, *args)``.
    ``cron`` (optional) is a dict of arq ``cron`` keyword arguments (e.g.
    ``{"minute": {0, 30}}``) for a periodic job. ``max_tries`` None: the setting.
    """

    name: str
    func: Any
    max_tries: int | None = None
    timeout_seconds: int | None = None
    cron: Mapping[str, Any] | None = None
