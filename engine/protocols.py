"""Provider protocols and the value types hooks exchange.

Collect-all hooks return provider objects implementing these small Protocols;
the core calls the protocol, pluggy only discovers the providers. Every method
that may do I/O is ``async``. Money values are :class:`engine.money.Money`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
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
    sort: Literal["relevance", "price_asc", "price_desc", "newest", "name_asc"] = "relevance"
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
    (conventionally ``<provider id>:<service>``).

    ``expires_at`` (timezone-aware) is how long the provider holds the price:
    the checkout keeps the chosen quote and places the order with it, without
    asking the provider again, until then (None: the core's
    ``checkout.quote_ttl_seconds``). ``data`` is the provider's own JSON-safe
    reference (e.g. a carrier's rate id), kept with the quote and stored on the
    order; at most 4 KB as JSON. ``estimated_days`` is the delivery estimate
    ``(min, max)`` in business days, shown to the shopper at checkout and on
    the order. ``tax_class`` is the tax class the shipping charge is taxed
    with when this quote is chosen (None: ``"shipping"``; the tax provider
    looks it up as it does a product's class)."""

    id: str
    label: str
    price: Money
    provider: str
    estimated_days: tuple[int, int] | None = None
    expires_at: datetime | None = None
    data: Mapping[str, Any] | None = None
    tax_class: str | None = None


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
    provider's options, in its order (an empty list: it does not ship there).
    A provider may set a float attribute ``deadline_seconds`` to be dropped
    sooner than the global ``plugins.hook_deadline_seconds`` (never later:
    the shorter of the two applies).

    Optional: ``async def free_shipping_from(self, currency) -> Money | None``,
    the goods total (after discounts) from which the provider ships free, None
    when it never does. The storefront's shipping promise ("free delivery on
    orders over €50", :mod:`engine.fulfillment.promise`) is the lowest of them."""

    id: str

    async def quotes(self, request: ShippingQuoteRequest) -> list[ShippingQuote]: ...


@dataclass(frozen=True)
class ShipmentLine:
    """One line of a shipment: ``weight_grams`` per unit (0 when unknown)."""

    sku: str
    title: str
    quantity: int
    weight_grams: int = 0


@dataclass(frozen=True)
class ShipmentDocument:
    """A shipment as its label and packing slip need it.

    ``ship_to`` is the order's shipping address (a dict of the address
    fields); ``ship_from`` the store's name and the warehouse's; ``carrier``,
    ``service`` and ``tracking_number`` as staff recorded them (empty when
    not known); ``weight_grams`` the shipment's weight; ``idempotency_key``
    is the same every time for one shipment (``sw-label-<fulfillment id>``),
    so a provider that buys a label buys it once.
    """

    order_number: str
    fulfillment_id: int
    ship_to: Mapping[str, Any]
    ship_from: Mapping[str, Any]
    lines: tuple[ShipmentLine, ...]
    weight_grams: int
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    placed_at: Any = None  # datetime.datetime
    idempotency_key: str = ""


@runtime_checkable
class LabelProvider(Protocol):
    """Makes shipping labels, e.g. by buying one from a carrier's API.

    ``label`` returns the PDF bytes of the shipment's label, or None when
    this provider does not label it (another carrier, a service it does not
    offer): the next provider is asked, and without one the core's generic
    label is used. It runs in the admin's request under the hook deadline;
    buying must be idempotent on ``document.idempotency_key`` (the same
    label again for the same key, never a second purchase)."""

    id: str

    async def label(self, document: ShipmentDocument) -> bytes | None: ...


TRACKING_STATUSES = ("shipped", "in_transit", "delivered", "returned")


@dataclass(frozen=True)
class TrackingUpdate:
    """A carrier's report about a parcel, from a verified webhook.

    ``event_id`` the carrier's id of the report; ``tracking_number`` the
    parcel's (as staff recorded it on the shipment); ``status`` one of
    :data:`TRACKING_STATUSES`; ``carrier`` narrows the match when two
    carriers could use one number (None: any)."""

    event_id: str
    tracking_number: str
    status: str
    carrier: str | None = None


@runtime_checkable
class TrackingProvider(Protocol):
    """Reads a carrier's status webhooks (``POST /webhooks/<plugin name>``).

    ``verify_tracking`` gets the raw body and headers, checks the signature
    and returns the list of :class:`TrackingUpdate` it reports (a carrier may
    batch several); it raises ``ValueError`` when the signature does not
    verify, and nothing changes."""

    id: str

    async def verify_tracking(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingUpdate]: ...


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
class GatewayCapabilities:
    """What a gateway can do; the API, the admin and the order page offer only that.

    ``authorize_then_capture``: a payment may be authorized now and captured
    later (``capture``); ``partial_capture`` / ``multiple_capture``: less than
    the authorized amount, in several captures; ``void``: an authorization can
    be released (``cancel``); ``refund`` / ``partial_refund`` /
    ``multiple_refund``: money given back, part of it, several times;
    ``flow``: how the shopper pays — ``none`` (offline, e.g. bank transfer),
    ``redirect`` (to the provider, back through ``/checkout/return/<plugin>``)
    or ``embedded`` (provider-hosted fields on the order page).
    ``currencies``: the ISO 4217 codes the provider takes (empty: any); the
    checkout does not offer the gateway for a cart in another currency.
    """

    authorize_then_capture: bool = False
    partial_capture: bool = False
    multiple_capture: bool = False
    void: bool = False
    refund: bool = True
    partial_refund: bool = True
    multiple_refund: bool = True
    flow: Literal["none", "redirect", "embedded"] = "none"
    currencies: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PaymentOutcome:
    """The provider's answer to ``capture``, ``refund`` or ``cancel``.

    ``status``: ``succeeded`` (done), ``pending`` (accepted, settled later by
    a webhook or ``status``) or ``failed`` (refused for good: a decline, not
    an outage — an outage is an exception, which the core treats as an unknown
    outcome and retries with the same idempotency key). ``provider_id`` is the
    provider's id of this capture, refund or void (a webhook reporting the
    same id later changes nothing); ``amount`` what the provider did when it
    differs from what was asked; ``raw`` a small JSON-ready reference kept on
    the ledger row; ``message`` why it failed.
    """

    status: Literal["succeeded", "pending", "failed"]
    provider_id: str | None = None
    amount: Money | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class WebhookOutcome:
    """What the provider reports about a payment: a verified webhook, the
    shopper's return (``complete``) or a status poll (``status``).

    ``event_id`` is the provider's id of the report (a replay with the same
    id is ignored; ``complete`` and ``status`` may use any stable string).
    ``reference`` is the payment's reference (as :class:`PaymentAction` gave
    it). ``status`` is what happened: ``authorized``, ``paid`` (captured),
    ``failed``, ``refunded``, ``cancelled`` (voided), ``disputed`` (flags the
    order for staff), ``pending`` (nothing settled yet), or None (nothing for
    the core). ``amount`` the amount of this authorization, capture or refund.
    ``provider_id`` the provider's id of that transaction (a charge, a
    refund): a report of a transaction already recorded changes nothing.
    ``transaction_key`` the idempotency key the shop sent when the shop
    started it (echoed by the provider, e.g. in metadata), so a refund whose
    answer was lost is matched to its pending ledger row. ``raw`` a small
    JSON-ready reference kept on the ledger.
    """

    event_id: str
    reference: str | None = None
    status: Literal["authorized", "paid", "failed", "refunded", "cancelled", "disputed", "pending"] | None = None
    amount: Money | None = None
    provider_id: str | None = None
    transaction_key: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class PaymentGateway(Protocol):
    """Moves money. Card data never reaches the server: ``start`` returns a
    provider-hosted step. Every method may do network I/O with its own
    timeout; the core calls them outside database transactions, under
    ``checkout.payment_timeout_seconds``.

    ``capabilities`` (a :class:`GatewayCapabilities`; absent: the defaults)
    says what staff and shoppers may ask of it. Each money-moving call gets an
    ``idempotency_key`` that the core stored before the call; the gateway
    sends it to the provider, so a retry after a timeout never moves money
    twice. A definite refusal is a :class:`PaymentOutcome` with ``failed``;
    an exception (timeout, 5xx, connection error) means "unknown" — the core
    retries later with the same key and settles through ``status``.

    ``start(order)`` gets the order mapping (``number``, ``total`` ...,
    ``return_url``, ``idempotency_key``). ``complete(reference, params)`` is
    called when the shopper comes back to ``/checkout/return/<plugin>``
    (``params`` the query string): it confirms or captures as the provider
    needs and reports where the payment stands. ``status(reference)`` reports
    where a payment stands (reconciliation). ``verify_webhook`` raises
    ``ValueError`` when the signature does not verify.
    """

    id: str
    title: str

    async def start(self, order: Mapping[str, Any]) -> PaymentAction: ...

    async def capture(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome: ...

    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome: ...

    async def cancel(self, reference: str, idempotency_key: str) -> PaymentOutcome: ...

    async def complete(self, reference: str, params: Mapping[str, str]) -> WebhookOutcome: ...

    async def status(self, reference: str) -> WebhookOutcome: ...

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


@dataclass(frozen=True)
class FailureReport:
    """Something failed that operators should hear about (``lifecycle_failure``).

    ``kind`` is ``"hook"`` — a plugin's hook implementation (or a method of a
    provider it returned) raised, missed its deadline or gave an answer the core
    refused; ``plugin`` and ``hook`` name it (``hook`` as
    ``fulfillment_shipping_providers:quotes`` for a provider method) — or
    ``"job"``: a job failed for good (its last try), ``job`` its name and
    ``plugin`` the plugin it belongs to (``core_*`` for the core's).
    ``exception`` is what was raised (None for a missed deadline or a refused
    answer); ``message`` one line, as staff see it."""

    kind: str
    plugin: str
    message: str
    exception: BaseException | None = None
    hook: str | None = None
    job: str | None = None


# ---------------------------------------------------------------- orders
@dataclass(frozen=True)
class OrderLineSnapshot:
    """One line of an :class:`OrderSnapshot`, with the prices frozen at
    placement: ``unit_price`` × ``quantity`` = ``subtotal``; ``discount`` (zero
    or negative) is the line's share of the goods discounts; ``total`` =
    ``subtotal`` + ``discount``. ``options`` is the variant's choice (e.g.
    ``{"size": "M"}``), a copy."""

    sku: str
    title: str
    quantity: int
    unit_price: Money
    subtotal: Money
    discount: Money
    total: Money
    options: Mapping[str, str] = field(default_factory=dict)
    variant_id: int | None = None
    product_id: int | None = None
    tax_class: str = "standard"
    fulfilled_quantity: int = 0


@dataclass(frozen=True)
class OrderPlacement:
    """How an order is being placed, beside what it is (the
    ``orders_placing`` hook's ``placement``): ``client_ip`` is the address of
    the client that submitted the checkout, as the shop's proxy settings
    read it ("" when the order was not placed through a web request), and
    ``channel`` ``storefront`` (the checkout page), ``api`` (the JSON
    checkout) or "" (elsewhere)."""

    client_ip: str = ""
    channel: str = ""


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as it stands when it is read: what the ``orders_placing`` hook
    receives, what ``engine.sdk.order`` returns, and what an event handler or
    an ERP export needs.

    Amounts are :class:`~engine.money.Money` in ``currency``; ``total`` =
    ``subtotal`` + ``discount_total`` (the order's adjustments: negative for
    discounts) + ``shipping_total`` (+ ``tax_total`` unless
    ``prices_include_tax``). ``paid`` and ``refunded``
    are what was received and given back so far. ``status`` is one of
    ``pending_payment``, ``paid``, ``partially_fulfilled``, ``fulfilled``,
    ``completed``, ``cancelled``, ``partially_refunded``, ``refunded``.
    ``customer`` is the shopper's account id (None for a guest). Addresses
    have the API's address shape (``first_name``, ``last_name``, ``line1``,
    ``city``, ``postal_code``, ``country``, ...). ``shipping_method`` and
    ``payment_method`` are the ids chosen at checkout (e.g.
    ``flat_rate:standard``, ``manual``). ``placed_at`` is an aware datetime.
    Mappings and lists are copies: changing them changes nothing stored.
    Use :meth:`to_json` for a JSON-ready dict (money as ``{"amount",
    "currency"}``, the time in ISO 8601).
    """

    id: int
    number: str
    status: str
    email: str
    customer: int | None
    currency: str
    lines: tuple[OrderLineSnapshot, ...]
    subtotal: Money
    discount_total: Money
    shipping_total: Money
    tax_total: Money
    total: Money
    paid: Money
    refunded: Money
    prices_include_tax: bool
    shipping_address: Mapping[str, Any]
    billing_address: Mapping[str, Any]
    shipping_method: str
    shipping_label: str
    payment_method: str
    placed_at: Any  # datetime.datetime
    adjustments: tuple[Mapping[str, Any], ...] = ()
    tax_lines: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The snapshot as JSON-ready data (amounts in minor units)."""

        def line(item: OrderLineSnapshot) -> dict[str, Any]:
            return {"sku": item.sku, "title": item.title, "quantity": item.quantity,
                    "unit_price": item.unit_price.to_json(), "subtotal": item.subtotal.to_json(),
                    "discount": item.discount.to_json(), "total": item.total.to_json(),
                    "options": dict(item.options), "variant_id": item.variant_id, "product_id": item.product_id,
                    "tax_class": item.tax_class, "fulfilled_quantity": item.fulfilled_quantity}

        placed = self.placed_at.isoformat() if hasattr(self.placed_at, "isoformat") else self.placed_at
        return {
            "id": self.id, "number": self.number, "status": self.status, "email": self.email,
            "customer": self.customer, "currency": self.currency, "lines": [line(item) for item in self.lines],
            "subtotal": self.subtotal.to_json(), "discount_total": self.discount_total.to_json(),
            "shipping_total": self.shipping_total.to_json(), "tax_total": self.tax_total.to_json(),
            "total": self.total.to_json(), "paid": self.paid.to_json(), "refunded": self.refunded.to_json(),
            "prices_include_tax": self.prices_include_tax, "shipping_address": dict(self.shipping_address),
            "billing_address": dict(self.billing_address), "shipping_method": self.shipping_method,
            "shipping_label": self.shipping_label, "payment_method": self.payment_method, "placed_at": placed,
            "adjustments": [dict(item) for item in self.adjustments],
            "tax_lines": [dict(item) for item in self.tax_lines],
        }


# ---------------------------------------------------------------- admin pages
@dataclass(frozen=True)
class AdminRequest:
    """What the view of an :class:`AdminPage` receives.

    ``method`` is ``GET`` or ``POST``; ``args`` the query string and ``form``
    the posted form fields (the first value of each; empty for a GET). The
    CSRF token of a POST was checked before the view runs. ``actor`` is the
    signed-in staff member (``id``, ``email``, ``permissions``); ``settings``
    the plugin's validated settings model (None when it declares none);
    ``runtime`` the running shop, for ``engine.sdk`` calls; ``csrf_token``
    the value a form of the page must post in its ``csrf_token`` field.
    ``files`` the uploaded files of a ``multipart/form-data`` POST, by field
    name: the first file of each, as ``(filename, bytes)`` (empty otherwise).
    """

    plugin: str
    path: str
    method: str
    args: Mapping[str, str]
    form: Mapping[str, str]
    actor: Mapping[str, Any]
    settings: Any
    runtime: Any
    csrf_token: str
    files: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)

    def has_permission(self, code: str) -> bool:
        """Whether the staff member holds permission ``code`` (or ``all``)."""
        granted = self.actor.get("permissions") or ()
        return "all" in granted or code in granted


MAX_ADMIN_DOWNLOAD = 50 * 1024 * 1024
_DOWNLOAD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_MEDIA_TYPE = re.compile(r"^[a-z]+/[a-z0-9.+-]+(; ?charset=[A-Za-z0-9_-]+)?$")


@dataclass(frozen=True)
class AdminResponse:
    """What an admin page's view returns (build it with
    ``engine.sdk.render_admin`` or ``engine.sdk.redirect_admin``).

    Either ``template`` (a template of the plugin, ``"<plugin>/<file>"``) or
    ``source`` (a Jinja template as a string) rendered with ``context`` and
    autoescape inside the admin's layout, answered with ``status``; or
    ``redirect``, a path under ``/admin/`` answered with 303 (after a POST);
    or ``download``, bytes answered as an attachment named ``filename`` with
    ``content_type`` (build it with ``engine.sdk.download_admin``).
    """

    template: str | None = None
    source: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    status: int = 200
    redirect: str | None = None
    download: bytes | None = None
    filename: str | None = None
    content_type: str | None = None

    def __post_init__(self) -> None:
        if self.download is None:
            return
        if not isinstance(self.download, bytes) or len(self.download) > MAX_ADMIN_DOWNLOAD:
            raise ValueError(f"download must be bytes, at most {MAX_ADMIN_DOWNLOAD} of them")
        if not isinstance(self.filename, str) or not _DOWNLOAD_NAME.match(self.filename):
            raise ValueError("filename must be 1 to 100 letters, digits, '.', '_' or '-'")
        if not isinstance(self.content_type, str) or not _MEDIA_TYPE.match(self.content_type):
            raise ValueError("content_type must be a media type such as text/csv; charset=utf-8")


@dataclass(frozen=True)
class AdminPage:
    """An admin page a plugin adds through ``admin_pages``, served at
    ``/admin/plugins/<plugin>/<path>`` with the admin's layout and a menu
    entry (``menu``).

    ``path`` is one or more lower-case segments (``status``,
    ``dead-letters``; letters, digits, ``-`` and ``_``; at most 100
    characters). ``permission`` is needed to open the page (GET) and
    ``post_permission`` (default: ``permission``) to post to it; a staff
    member without it gets 403. ``view`` is ``async def view(request:
    AdminRequest) -> AdminResponse``.
    """

    path: str
    title: str
    permission: str
    view: Any
    post_permission: str | None = None
    menu: bool = True


# ---------------------------------------------------------------- storefront
@dataclass(frozen=True)
class StorefrontAsset:
    """A script or stylesheet a plugin puts on storefront pages through
    ``storefront_assets``.

    - ``kind``: ``script`` or ``style``.
    - ``url``: an absolute ``https://`` (or ``http://``) URL or a path on this
      site; or ``static``: a file in the plugin's ``static`` folder (served
      versioned from ``/static/plugin/<plugin>/...``). Exactly one of them.
    - ``pages``: the pages it belongs on (``home``, ``category``, ``product``,
      ``search``, ``cart``, ``checkout``, ``order``, ``account``, ``404``,
      ``unavailable``); empty means every page.
    - ``csp``: Content-Security-Policy sources the page then needs, by
      directive (``script-src``, ``style-src``, ``frame-src``,
      ``connect-src``, ``img-src``, ``font-src``), e.g. ``{"frame-src":
      ["https://js.stripe.com"]}``. The origin of an absolute ``url`` is
      added to ``script-src`` (or ``style-src``) by itself.
    - ``defer`` (scripts): load without blocking the page (the default);
      ``module``: ``type="module"``.
    """

    kind: Literal["script", "style"]
    url: str | None = None
    static: str | None = None
    pages: tuple[str, ...] = ()
    csp: Mapping[str, Sequence[str]] = field(default_factory=dict)
    defer: bool = True
    module: bool = False


@dataclass(frozen=True)
class StorefrontPage:
    """What a storefront page shows, as the ``storefront_blocks`` hook sees
    it: ``page`` (``product``, ``cart``, ...), the product of a product page
    (``product_id``, ``product_slug``; None elsewhere) and the SKUs in the
    shopper's open cart (``cart_skus``, on the product and cart pages)."""

    page: str
    product_id: int | None = None
    product_slug: str | None = None
    cart_skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class StorefrontBlock:
    """A piece of content a plugin puts in a theme's block slot through
    ``storefront_blocks``: the plugin's ``template`` (namespaced, e.g.
    ``"recommendations/block.html"``) rendered with ``context`` where the
    theme includes ``partials/plugin_blocks.html``."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
