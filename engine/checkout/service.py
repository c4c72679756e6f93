"""Placing an order from a cart.

:func:`place_order` runs in three phases:

1. **Prepare** (no writes): validate the e-mail and addresses, re-read the
   cart against the catalog, price it (pricing hooks), quote shipping for the
   address (fulfillment providers), find the payment gateway, run the
   ``checkout_validate`` hooks (with a :class:`engine.protocols.CheckoutView`).
   Any problem is reported with every field's error at once. Plugin failures
   follow each hook's contract: a base-price, tax, payment or validation
   plugin that fails or misses its deadline is a 502 naming it
   (:class:`engine.errors.PluginFailure`), never an order with a wrong total;
   a failing discount plugin is left out, so the order is priced as the cart
   was shown, without its discount; a failing shipping provider's methods
   are not offered.
2. **Write** — one database transaction: the order row (with the client's
   idempotency key, unique), its number, lines with frozen prices, voucher
   use counted, a pending payment record, the timeline entry, the
   ``order_placed`` outbox event, the ``orders_placing`` hooks (plugins that
   write with the order; one that raises rolls everything back: 409 with its
   message for :class:`~engine.errors.OrderRefused`, else 502 naming it), and
   last (so the stock rows stay locked for the shortest time) stock reserved
   with conditional atomic updates (short stock rolls everything back: 409
   naming the SKU).
3. **Start the payment** through the gateway (network I/O, after the
   commit), storing what the client must do next.

Idempotency: the same ``Idempotency-Key`` with the same cart and body returns
the first order (and restarts its payment if starting it failed); the same key
with a different cart or body is refused (422). Two concurrent submissions
with one key produce one order: the unique key makes the second wait for, or
fail against, the first, and it then answers with the first's order.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import structlog
from asyncpg.exceptions import UniqueViolationError

from engine import outbox
from engine.cart import services as carts
from engine.catalog import reservations
from engine.db.sql import fetchone
from engine.addresses import shipping_refusal, validate_address, valid_email
from engine.errors import (
    Conflict,
    IdempotencyMismatch,
    InvalidInput,
    OrderRefused,
    OutOfStock,
    PluginFailure,
    ShopError,
)
from engine.checkout.outcomes import counted
from engine.checkout.validation import validate_checkout
from engine.fulfillment import quotes
from engine.fulfillment.quotes import quote_json
from engine.fulfillment.shipping import shipping_quotes
from engine.money import Money
from engine.orders import placement, snapshots, stock
from engine.orders.services import access_token, order_json, order_lines
from engine.orders.transitions import record
from engine.payments import records
from engine.payments.gateways import GatewayEntry, available_gateways
from engine.plugins import HookError
from engine.pricing import services as pricing
from engine.pricing.pipeline import PricedCart
from engine.protocols import (CheckoutView, OrderPlacement, PaymentAction, ShippingLine, ShippingQuote,
                              ShippingQuoteRequest)

log = structlog.get_logger("shopwright.checkout")

MAX_KEY_LENGTH = 255


class MissingIdempotencyKey(ShopError):
    status = 400
    title = "Idempotency-Key required"
    type = "/problems/idempotency-key-required"


@dataclass
class PreparedCheckout:
    state: carts.CartState
    email: str
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    quote: ShippingQuote
    gateway: GatewayEntry
    priced: PricedCart
    customer: int | None
    note: str = ""
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise MissingIdempotencyKey("Send an Idempotency-Key header (any unique string, e.g. a UUID) so a "
                                    "resubmitted checkout returns the first order instead of placing a second.")
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"The Idempotency-Key may be at most {MAX_KEY_LENGTH} characters.",
                           {"Idempotency-Key": f"at most {MAX_KEY_LENGTH} characters"}, status=400)
    return key


def fingerprint(token: str, body: Mapping[str, Any]) -> str:
    canonical = json.dumps({"cart": token, "body": body}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# ---------------------------------------------------------------- quotes
def quote_request(state: carts.CartState, priced: PricedCart, address: Mapping[str, Any] | None) -> ShippingQuoteRequest:
    """What shipping providers get: destination, lines, weight and amounts."""
    address = dict(address or {})
    by_sku = {line.sku: line for line in state.lines}
    lines = []
    weight = 0
    for line in priced.lines:
        grams = int((by_sku[line.sku].variant or {}).get("weight_grams") or 0)
        weight += grams * line.quantity
        lines.append(ShippingLine(line.sku, line.quantity, line.unit_price, grams))
    goods = priced.subtotal + sum((a.amount for a in priced.adjustments if a.sku != ":shipping"),
                                  Money.zero(priced.currency))
    return ShippingQuoteRequest(
        currency=priced.currency, subtotal=priced.subtotal, goods_total=goods, lines=tuple(lines),
        weight_grams=weight, country=address.get("country") or None, region=address.get("region") or None,
        postal_code=address.get("postal_code") or None, city=address.get("city") or None,
        address=address or None)


async def shipping_methods(runtime, token: str, address: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Shipping options for a cart (optionally for a partial address)."""
    state = await carts.load_cart(token)
    try:
        priced = await carts.price_cart(runtime, state, address=dict(address) if address else None)
    except HookError as exc:
        raise _plugin_failure(exc, "Pricing") from exc
    request = quote_request(state, priced, address)
    result = await shipping_quotes(runtime, request)
    offered = quotes.with_expiry(result.quotes, _now(), runtime.settings.checkout.quote_ttl_seconds)
    await _keep_quotes(runtime, state, request, offered)
    return {
        "items": [quote_json(q) for q in offered],
        "unavailable": result.dropped,
    }


async def _keep_quotes(runtime, state: carts.CartState, request: ShippingQuoteRequest,
                       offered: Sequence[ShippingQuote]) -> None:
    """Keep the quotes just offered with the cart, so placing the order can
    use the chosen one without asking its provider again."""
    if offered:
        await carts.remember_quotes(state.row["id"], quotes.dump(offered, request, _now(),
                                                                  runtime.settings.checkout.quote_ttl_seconds))


async def chosen_quote(runtime, state: carts.CartState, request: ShippingQuoteRequest,
                       method_id: str) -> ShippingQuote:
    """The quote ``method_id`` for ``request``: the one kept with the cart
    while it is valid (no provider is asked), else freshly quoted (and kept).
    Raises when the method is not offered or its provider is not answering."""
    kept = quotes.kept(state.row.get("shipping_quotes"), request, method_id, _now())
    if kept is not None:
        return kept
    result = await shipping_quotes(runtime, request)
    await _keep_quotes(runtime, state, request, result.quotes)
    quote = next((q for q in result.quotes if q.id == method_id), None)
    if quote is not None:
        return quote
    failed = next((p for p in result.dropped if method_id.startswith(p + ":") or method_id == p), None)
    if failed is not None:
        raise PluginFailure(failed, f"Shipping provider {failed!r} is not answering "
                                    f"({result.dropped[failed]}); choose another shipping method or try later.",
                            {"shipping_method": "temporarily unavailable"})
    offered = ", ".join(q.id for q in result.quotes) or "none"
    raise InvalidInput(f"Shipping method {method_id!r} is not available for this address (offered: {offered}).",
                       {"shipping_method": "not available for this address"})


async def payment_methods(runtime, token: str) -> dict[str, Any]:
    await carts.ensure_open(token)
    items = []
    try:
        entries = await available_gateways(runtime, runtime.settings.store.currency)
    except HookError as exc:
        raise _plugin_failure(exc, "Payment") from exc
    for entry in entries:
        items.append({"id": entry.id, "label": entry.gateway.title, "title": entry.gateway.title,
                      "plugin": entry.plugin, "price": Money.zero(runtime.settings.store.currency).to_json()})
    return {"items": items}


def _placing_refused(exc: HookError) -> ShopError:
    """What the shopper is told when an ``orders_placing`` plugin stopped the
    order: its own :class:`OrderRefused` message, else a 502 naming it."""
    cause = exc.__cause__
    if isinstance(cause, OrderRefused):
        return OrderRefused(cause.detail, cause.errors)
    return _plugin_failure(exc, "Placing the order")


def _plugin_failure(exc: HookError, what: str) -> PluginFailure:
    return PluginFailure(exc.plugin, f"{what} failed: plugin {exc.plugin!r} {exc.reason}. Nothing was ordered; "
                                     f"try again later.")


# ---------------------------------------------------------------- prepare
def validate_details(body: Mapping[str, Any], ship_to: Sequence[str] = (), locale: str = "en") -> dict[str, str]:
    """Errors in the e-mail and addresses of a checkout body (no database).
    ``ship_to``: the countries the shop ships to (the ``store.countries``
    setting; empty: every country)."""
    errors: dict[str, str] = {}
    if not valid_email(body.get("email")):
        errors["email"] = "must be an e-mail address"
    errors.update(validate_address(body.get("shipping_address"), "shipping_address")[1])
    shipping = body.get("shipping_address")
    refusal = shipping_refusal(shipping.get("country"), ship_to, locale) if isinstance(shipping, Mapping) else None
    if refusal and "shipping_address.country" not in errors:
        errors["shipping_address.country"] = refusal
    if body.get("billing_address") not in (None, {}):
        errors.update(validate_address(body.get("billing_address"), "billing_address")[1])
    return errors


def clean_address(address: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """A valid address normalised (country upper-case, postcode spacing, region code)."""
    return validate_address(address, prefix)[0]


async def preview(runtime, token: str, body: Mapping[str, Any], customer: int | None = None) -> dict[str, Any]:
    """What the order would be (the review step): the cart priced with the
    chosen shipping and tax for the address, plus the chosen methods.
    Raises like :func:`place_order` would; writes nothing but the cart's
    remembered prices (when a price moved, so the next view has no notice)."""
    prepared = await prepare(runtime, token, body, customer)
    view = carts.cart_json(prepared.state, prepared.priced, [])
    view["shipping_method"] = quote_json(prepared.quote)
    view["payment_method"] = {"id": prepared.gateway.id, "label": prepared.gateway.gateway.title}
    view["email"] = prepared.email
    view["shipping_address"] = prepared.shipping_address
    view["billing_address"] = prepared.billing_address
    return view


async def prepare(runtime, token: str, body: Mapping[str, Any], customer: int | None = None) -> PreparedCheckout:
    errors = validate_details(body, runtime.settings.store.countries, runtime.settings.store.locale)
    email = body.get("email")
    shipping = clean_address(body.get("shipping_address") or {}, "shipping_address")
    billing = shipping if body.get("billing_address") in (None, {}) else clean_address(
        body["billing_address"], "billing_address")
    method_id = body.get("shipping_method")
    payment_id = body.get("payment_method")
    if not isinstance(method_id, str) or not method_id:
        errors["shipping_method"] = "is required"
    if not isinstance(payment_id, str) or not payment_id:
        errors["payment_method"] = "is required"
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > 2000:
        errors["note"] = "must be text of at most 2000 characters"
    state = await carts.load_cart(token)
    if errors:
        raise InvalidInput("Some checkout details are missing or invalid.", errors)
    email = email.strip()

    if not state.lines:
        raise InvalidInput("The cart is empty.", {"cart": "is empty"})
    gone = [line.sku for line in state.lines if not line.sellable]
    if gone:
        raise Conflict(f"{', '.join(gone)} is no longer sold; review the cart.", {"cart": "changed"},
                       title="Cart changed")
    short = [line for line in state.lines if line.quantity > line.available]
    if short:
        line = short[0]
        raise OutOfStock(_short_message(carts.line_label(line.variant), line.quantity, line.available),
                         {f"lines.{l.sku}.quantity": f"only {max(l.available, 0)} available" for l in short})
    moved = [line for line in state.lines if line.seen_price is not None
             and line.seen_price != int(line.variant["price"]["amount"])]
    if moved:
        await carts.record_seen_prices(runtime, state.row["id"],
                                       {line.sku: int(line.variant["price"]["amount"]) for line in moved})
        names = ", ".join(line.variant["product_title"] for line in moved)
        raise Conflict(f"The price of {names} changed; review the cart and submit again.",
                       {"cart": "prices changed"}, title="Cart changed")

    context = {"address": shipping, "email": email, "customer": customer}
    try:
        goods = await carts.price_cart(runtime, state, **context)
    except HookError as exc:
        raise _plugin_failure(exc, "Pricing") from exc
    quote = await chosen_quote(runtime, state, quote_request(state, goods, shipping), method_id)
    try:
        offered = await available_gateways(runtime, runtime.settings.store.currency)
        gateway = next((g for g in offered if g.id == payment_id), None)
    except HookError as exc:
        raise _plugin_failure(exc, "Payment") from exc
    if gateway is None:
        raise InvalidInput(f"Payment method {payment_id!r} is not available.",
                           {"payment_method": "not available"})
    try:
        priced = await carts.price_cart(runtime, state, shipping=quote.price, shipping_tax_class=quote.tax_class, **context)
    except HookError as exc:
        raise _plugin_failure(exc, "Pricing") from exc
    applied = {(a.code or "").upper() for a in priced.adjustments if a.code}
    unapplied = [code for code in state.vouchers if code not in applied]
    if unapplied:
        reasons = await pricing.voucher_rejections(priced.lines, carts.pricing_context(
            runtime, state, shipping=quote.price, shipping_tax_class=quote.tax_class, **context))
        raise InvalidInput(reasons.get(unapplied[0], f"Voucher {unapplied[0]} does not apply."),
                           {"vouchers": reasons.get(unapplied[0], "does not apply")})
    prepared = PreparedCheckout(state, email, shipping, billing, quote, gateway, priced, customer, note.strip())
    view = CheckoutView(
        email=email, shipping_address=dict(shipping), billing_address=dict(billing), shipping_method=quote.id,
        payment_method=gateway.id, currency=priced.currency, lines=tuple(priced.lines), subtotal=priced.subtotal,
        discounts=-priced.discount_total, shipping=priced.shipping_total, tax=priced.tax_total, total=priced.total,
        prices_include_tax=priced.prices_include_tax, adjustments=tuple(priced.adjustments), customer=customer,
        cart_id=token)
    try:
        problems = await validate_checkout(runtime, view)
    except HookError as exc:
        raise _plugin_failure(exc, "Checkout validation") from exc
    if problems:
        raise InvalidInput(next(iter(problems.values())), problems)
    return prepared


def _short_message(label: str, wanted: int, available: int) -> str:
    if available <= 0:
        return f"{label} is out of stock."
    return f"{label} is out of stock for this quantity: {wanted} wanted, {available} available."


# ---------------------------------------------------------------- write
class _Replay(Exception):
    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row


def _is_unique_violation(exc: BaseException) -> bool:
    return isinstance(exc, (UniqueViolationError, sqlite3.IntegrityError))


@dataclass
class PlacedOrder:
    """What the order transaction wrote: the order row (numbered), its lines
    in position order and its pending payment."""

    row: dict[str, Any]
    lines: list[dict[str, Any]]
    payment: dict[str, Any]


def _new_order(prepared: PreparedCheckout, key: str, digest: str) -> placement.NewOrder:
    priced = prepared.priced
    by_sku = {line.sku: line for line in prepared.state.lines}
    lines = []
    for position, line in enumerate(priced.lines):
        variant = by_sku[line.sku].variant
        lines.append(placement.NewOrderLine(
            sku=line.sku, variant_id=variant["id"], product_id=variant["product_id"], title=variant["product_title"],
            options=variant["options"], tax_class=line.tax_class, quantity=line.quantity,
            unit_price=line.unit_price.amount, subtotal=line.unit_price.times(line.quantity).amount,
            discount=priced.line_adjustments[position].amount, total=priced.line_total(position).amount))
    return placement.NewOrder(
        email=prepared.email, customer=prepared.customer, cart_token=prepared.state.token, idempotency_key=key,
        request_fingerprint=digest, currency=priced.currency, subtotal=priced.subtotal.amount,
        discount_total=priced.discount_total.amount, shipping_total=priced.shipping_total.amount,
        tax_total=priced.tax_total.amount, total=priced.total.amount, prices_include_tax=priced.prices_include_tax,
        adjustments=[carts.adjustment_json(a) for a in priced.adjustments],
        tax_lines=[carts.tax_line_json(t) for t in priced.tax_lines],
        shipping_address=prepared.shipping_address, billing_address=prepared.billing_address,
        shipping_method=prepared.quote.id, shipping_label=prepared.quote.label,
        shipping_days=prepared.quote.estimated_days,
        payment_method=prepared.gateway.id, payment_plugin=prepared.gateway.plugin, lines=lines)


async def _write(runtime, prepared: PreparedCheckout, key: str, digest: str, actor: str,
                 context: OrderPlacement) -> PlacedOrder:
    """The order transaction: each domain writes its own rows — orders the
    order and its lines, pricing the promotion uses, payments the pending
    payment, cart the link to the order, orders the stock reservations."""
    priced = prepared.priced
    state = prepared.state
    now = _now()
    by_sku = {line.sku: line for line in state.lines}
    async with runtime.database.transaction():
        existing = await placement.by_idempotency_key(key)
        if existing is not None:
            raise _Replay(existing)
        order, lines = await placement.create_in_tx(_new_order(prepared, key, digest),
                                                    runtime.settings.checkout.order_number_start, now,
                                                    runtime.settings.checkout.order_number_prefix)
        order_id, number = order["id"], order["number"]
        used = await pricing.record_promotions_in_tx(priced.adjustments, order_id, prepared.customer, prepared.email)
        payment = await records.create(order_id, prepared.gateway, priced.total.amount, priced.currency)
        await record(order_id, "placed", actor, prepared.note or "Order placed.", None, "pending_payment",
                     {"vouchers": used, "cart": state.token[:6] + "…",
                      "shipping_quote": {"id": prepared.quote.id, "data": dict(prepared.quote.data or {})}})
        await outbox.emit("order_placed", {"order_id": order_id, "number": number, "email": prepared.email,
                                           "total": priced.total.amount, "currency": priced.currency,
                                           "status": "pending_payment", "payment_method": prepared.gateway.id})
        await carts.mark_ordered_in_tx(state.row["id"], number, now)
        try:
            await snapshots.announce_placing(runtime, order, lines, context)
        except HookError as exc:
            raise _placing_refused(exc) from exc
        # Last, just before the commit: the stock rows stay locked (against
        # concurrent orders of the same products) for as short a time as can be.
        try:
            await stock.hold(order_id, [(l.sku, by_sku[l.sku].variant["id"], l.quantity) for l in priced.lines],
                             runtime.settings.checkout.reservation_minutes)
        except reservations.OutOfStock as exc:
            raise OutOfStock(_short_message(carts.line_label(by_sku[exc.sku].variant), exc.requested, exc.available),
                             {f"lines.{exc.sku}.quantity": f"only {exc.available} available"}) from None
    return PlacedOrder(order, lines, payment)


# ---------------------------------------------------------------- payment start
async def start_payment(runtime, order_id: int) -> None:
    """Ask the gateway to start the order's payment, unless it already was.
    A failure is stored on the payment and raised as PluginFailure."""
    order = await fetchone("SELECT * FROM orders WHERE id = {}", order_id)
    payment = await records.latest(order_id)
    if payment is None or json.loads(payment["action"] or "{}").get("kind") or order["status"] != "pending_payment":
        return
    await _start_payment(runtime, order, await order_lines(order_id), payment)


async def _start_payment(runtime, order: dict[str, Any], lines: list[dict[str, Any]],
                         payment: dict[str, Any]) -> dict[str, Any]:
    """Start the pending ``payment`` of ``order`` (rows already read); the
    payment row as updated. A failure is stored on the payment and raised as
    PluginFailure."""
    order_id = order["id"]
    entry = await records.gateway_for(runtime, payment)
    currency = order["currency"]
    token = access_token(runtime.settings.secret_key, order["number"], order["token_salt"])
    base = runtime.settings.store.base_url.rstrip("/")
    mapping = {
        "id": order_id, "number": order["number"], "email": order["email"], "customer": order["customer"],
        "currency": currency, "total": Money(order["total"], currency), "subtotal": Money(order["subtotal"], currency),
        "shipping": Money(order["shipping_total"], currency), "tax": Money(order["tax_total"], currency),
        "lines": [{"sku": l["sku"], "title": l["title"], "quantity": l["quantity"],
                   "unit_price": Money(l["unit_price"], currency), "total": Money(l["total"], currency)} for l in lines],
        "shipping_address": json.loads(order["shipping_address"]),
        "billing_address": json.loads(order["billing_address"]),
        "access_token": token,
        # The same key on every retry of the start: the provider makes one payment.
        "idempotency_key": f"sw-pay-{payment['id']}-start",
        "return_url": f"{base}/checkout/return/{entry.plugin}?order={order['number']}&token={token}",
        "order_url": f"{base}/orders/{order['number']}?token={token}",
        "cancel_url": f"{base}/checkout",
    }
    try:
        action = await records.call_gateway(runtime, entry, "payment start", lambda: entry.gateway.start(mapping))
        if not isinstance(action, PaymentAction):
            raise PluginFailure(entry.plugin, f"The payment provider ({entry.plugin}) returned {action!r}, "
                                              f"not a PaymentAction.")
    except PluginFailure as exc:
        async with runtime.database.transaction():
            await records.update(payment["id"], error=exc.detail[:1000])
        raise PluginFailure(exc.plugin, f"Order {order['number']} was placed, but its payment could not be started: "
                                        f"{exc.detail} Submit the checkout again with the same Idempotency-Key to "
                                        f"retry.") from exc
    async with runtime.database.transaction():
        started = await records.update(payment["id"], reference=action.reference,
                                       action=records.action_json(action), error="")
        await record(order_id, "payment", "system", f"Payment started with {entry.id}.",
                     data={"kind": action.kind, "reference": action.reference})
    return started


# ---------------------------------------------------------------- place
async def _replay(runtime, row: dict[str, Any], digest: str) -> tuple[dict[str, Any], bool]:
    if row["request_fingerprint"] != digest:
        raise IdempotencyMismatch(
            f"This Idempotency-Key was already used for order {row['number']} with a different cart or body. "
            "Use a new key for a new order.", {"Idempotency-Key": "already used for a different request"})
    await start_payment(runtime, row["id"])
    fresh = await fetchone("SELECT * FROM orders WHERE id = {}", row["id"])
    return await order_json(runtime, fresh, with_token=True), False


@counted
async def place_order(runtime, token: str, body: Mapping[str, Any], idempotency_key: str | None,
                      customer: int | None = None, actor: str = "customer",
                      context: OrderPlacement | None = None) -> tuple[dict[str, Any], bool]:
    """Place an order from the cart ``token``; returns ``(order JSON, created)``
    (``created`` False: a replay of an earlier request with the same key).
    ``context`` (the client's address and the channel) goes to the
    ``orders_placing`` hooks as their ``placement``."""
    key = check_key(idempotency_key)
    digest = fingerprint(token, body)
    existing = await placement.by_idempotency_key(key)
    if existing is not None:
        return await _replay(runtime, existing, digest)
    with pricing.promotions_read_once():
        prepared = await prepare(runtime, token, body, customer)
        try:
            placed = await _write(runtime, prepared, key, digest, actor, context or OrderPlacement())
        except _Replay as replay:
            return await _replay(runtime, replay.row, digest)
        except Exception as exc:
            if not _is_unique_violation(exc):
                raise
            existing = await placement.by_idempotency_key(key)
            if existing is None:
                raise Conflict("Another order was placed at the same moment; submit again.") from exc
            return await _replay(runtime, existing, digest)
    log.info("order.placed", order_id=placed.row["id"], total=prepared.priced.total.amount)
    try:
        payment = await _start_payment(runtime, placed.row, placed.lines, placed.payment)
    finally:
        # Relay after the payment started, so the confirmation e-mail usually
        # sees the payment instructions (the relay's own tick may come first;
        # the e-mail job waits for the start then, see engine.notifications).
        runtime.events_committed()
    # The order as it stood when its payment started; nothing is read again.
    return await order_json(runtime, placed.row, with_token=True, lines=placed.lines, payment=payment), True
