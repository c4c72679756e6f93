"""Cart services: create, change and view carts.

A cart is addressed by its token (the API's cart id and the storefront's
cookie value): 32 URL-safe random characters, the cart's only secret.

Every view re-reads the catalog and re-prices the cart through the pricing
pipeline, so the shopper always sees current prices and stock. Notices say
what changed since the last view: a price that moved (shown once), a line
that is no longer sold (removed, shown once), a line with more units than
are available (shown while it lasts; checkout refuses it) and vouchers that
do not apply.

Quantities are validated against available stock when a line is added or
changed; availability can still change before checkout, where the atomic
reservation decides.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, NamedTuple

from engine.cart.tables import Cart, CartLine
from engine.catalog import services as catalog
from engine.db.sql import fetch, fetchone, placeholders
from engine.errors import InvalidInput, NotFound, OutOfStock
from engine.money import Money
from engine.pricing import services as pricing
from engine.pricing.pipeline import PricedCart, price_lines
from engine.protocols import PriceableLine

TOKEN_BYTES = 24
MAX_VOUCHERS = 5


def _now() -> datetime:
    return datetime.now(timezone.utc)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# ---------------------------------------------------------------- loading
@dataclass
class CartLineInfo:
    """A cart line joined with the catalog's current view of its variant."""

    sku: str
    quantity: int
    seen_price: int | None
    variant: dict[str, Any] | None

    @property
    def sellable(self) -> bool:
        return self.variant is not None and self.variant.get("product_status") == "published"

    @property
    def available(self) -> int:
        return int(self.variant["quantity_available"]) if self.variant else 0


@dataclass
class CartState:
    row: dict[str, Any]
    lines: list[CartLineInfo]
    category_ids: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def token(self) -> str:
        return self.row["token"]

    @property
    def currency(self) -> str:
        return self.row["currency"]

    @property
    def vouchers(self) -> list[str]:
        return json.loads(self.row["vouchers"] or "[]")

    def priceable(self) -> list[PriceableLine]:
        """The sellable lines as the pricing pipeline sees them (catalog prices)."""
        out = []
        for line in self.lines:
            if not line.sellable:
                continue
            variant = line.variant
            out.append(PriceableLine(
                sku=line.sku, quantity=line.quantity,
                unit_price=Money(int(variant["price"]["amount"]), variant["price"]["currency"]),
                product_id=variant["product_id"], category_ids=self.category_ids.get(variant["product_id"], ()),
                tax_class=variant.get("tax_class") or "standard"))
        return out


async def cart_row(token: str) -> dict[str, Any]:
    """The open cart with ``token``; :class:`NotFound` otherwise (also for a
    merged cart, whose lines now live in the customer's cart)."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound("There is no cart with this id.")
    row = await fetchone("SELECT * FROM carts WHERE token = {}", token)
    if row is None or row["status"] != "open":
        raise NotFound("There is no cart with this id.")
    return row


#: the cart columns a cart page depends on (all but its token and creation time)
REVISION_FIELDS = ("id", "status", "currency", "customer", "vouchers", "last_order", "updated_at")
_REVISION_SQL = (
    "SELECT " + ", ".join(f"c.{name}" for name in REVISION_FIELDS) + ", l.sku AS line_sku, "
    "l.quantity AS line_quantity, l.seen_price AS line_seen_price FROM carts c LEFT JOIN cart_lines l "
    "ON l.cart = c.id WHERE c.token = {} ORDER BY l.id")

#: ``(cart fields, ((sku, quantity, seen_price), ...))``: equal revisions, an unchanged cart
Revision = tuple


async def revision(token: str) -> Revision | None:
    """The open cart ``token`` as a page of it depends on it, now (one query);
    None when it is not an open cart."""
    rows = await fetch(_REVISION_SQL, token)
    if not rows or rows[0]["status"] != "open":
        return None
    first = rows[0]
    return (tuple(first[name] for name in REVISION_FIELDS),
            tuple((r["line_sku"], r["line_quantity"], r["line_seen_price"]) for r in rows if r["line_sku"] is not None))


def state_revision(state: CartState) -> Revision:
    """:func:`revision` of a loaded cart."""
    return (tuple(state.row[name] for name in REVISION_FIELDS),
            tuple((line.sku, line.quantity, line.seen_price) for line in state.lines))


async def owner_of(token: str) -> tuple[bool, int | None]:
    """``(exists, customer id)`` of the cart ``token``; the customer is None for a guest cart."""
    row = await fetchone("SELECT customer FROM carts WHERE token = {}", token)
    return (row is not None, row["customer"] if row is not None else None)


async def record_seen_prices(runtime, cart_id: int, prices: Mapping[str, int]) -> None:
    """Remember ``prices`` (SKU → unit price in minor units) as the ones the
    shopper has now seen, so the next checkout submit goes through."""
    async with runtime.database.transaction():
        for sku, price in prices.items():
            await fetch("UPDATE cart_lines SET seen_price = {} WHERE cart = {} AND sku = {}", price, cart_id, sku)


async def remember_quotes(cart_id: int, stored: str) -> None:
    """Keep the shipping quotes just offered for the cart (the JSON of
    :func:`engine.fulfillment.quotes.dump`), replacing the previous ones."""
    await fetch("UPDATE carts SET shipping_quotes = {} WHERE id = {}", stored, cart_id)


async def mark_ordered_in_tx(cart_id: int, number: str, now: datetime) -> None:
    """Inside the order transaction: the cart became order ``number``."""
    await fetch("UPDATE carts SET last_order = {}, updated_at = {} WHERE id = {}", number, now, cart_id)


async def delete_customer_carts_in_tx(customer: int) -> None:
    """Inside the account deletion's transaction: the customer's carts go."""
    await fetch("DELETE FROM carts WHERE customer = {}", customer)


async def load_cart(token: str) -> CartState:
    row = await cart_row(token)
    lines = await fetch("SELECT sku, quantity, seen_price FROM cart_lines WHERE cart = {} ORDER BY id", row["id"])
    variants = await catalog.get_variants([line["sku"] for line in lines])
    state = CartState(row, [CartLineInfo(l["sku"], int(l["quantity"]), l["seen_price"], variants.get(l["sku"]))
                            for l in lines])
    product_ids = sorted({v["product_id"] for v in variants.values()})
    if product_ids:
        for item in await fetch(f"SELECT product, category FROM catalog_product_categories WHERE product IN "
                                f"({placeholders(product_ids)}) ORDER BY product, position", *product_ids):
            state.category_ids[item["product"]] = state.category_ids.get(item["product"], ()) + (item["category"],)
    return state


# ---------------------------------------------------------------- changes
async def create_cart(runtime, customer: int | None = None) -> str:
    """A new empty cart in the store currency; returns its token."""
    token = new_token()
    now = _now()
    await Cart.insert(Cart(token=token, customer=customer, currency=runtime.settings.store.currency,
                           status="open", vouchers="[]", created_at=now, updated_at=now)).run()
    return token


def _check_quantity(runtime, quantity: Any, field_name: str = "quantity", allow_zero: bool = False) -> int:
    maximum = runtime.settings.checkout.max_line_quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidInput("The quantity must be a whole number.", {field_name: "must be a whole number"})
    if quantity < (0 if allow_zero else 1) or quantity > maximum:
        low = 0 if allow_zero else 1
        raise InvalidInput(f"The quantity must be between {low} and {maximum}.",
                           {field_name: f"must be between {low} and {maximum}"})
    return quantity


async def _sellable_variant(sku: Any, currency: str) -> dict[str, Any]:
    if not isinstance(sku, str) or not sku.strip():
        raise InvalidInput("A SKU is required.", {"sku": "is required"})
    sku = sku.strip()
    variant = (await catalog.get_variants([sku])).get(sku)
    if variant is None or variant["product_status"] != "published":
        raise InvalidInput(f"There is no product with SKU {sku}.", {"sku": f"no product with SKU {sku!r}"})
    if variant["price"]["currency"] != currency:
        raise InvalidInput(f"{sku} is sold in {variant['price']['currency']}; this cart is in {currency}.",
                           {"sku": "sold in another currency"})
    return variant


class LineChange(NamedTuple):
    """What a line holds after a change; ``capped``: less than asked, because
    only that much is available (``keep_available``)."""

    quantity: int
    capped: bool = False


def line_label(variant: dict[str, Any]) -> str:
    """``Oxford shirt (L / Red)``: a variant as a shopper reads it (the product's
    title, then its option values)."""
    values = " / ".join(str(value) for value in (variant.get("options") or {}).values())
    title = variant.get("product_title") or variant.get("sku", "")
    return f"{title} ({values})" if values else title


def _stock_check(sku: str, wanted: int, variant: dict[str, Any], field_name: str = "quantity") -> None:
    available = int(variant["quantity_available"])
    if wanted > available:
        label = line_label(variant)
        if available <= 0:
            error = OutOfStock(f"{label} is out of stock.", {field_name: f"{label} is out of stock"})
        else:
            error = OutOfStock(f"Only {available} of {label} are available; the cart would hold {wanted}.",
                               {field_name: f"only {available} available"})
        error.quantity_available = max(available, 0)
        raise error


async def add_line(runtime, token: str, sku: Any, quantity: Any, keep_available: bool = False) -> LineChange:
    """Add ``quantity`` units of ``sku`` (added to the line when the SKU is
    already in the cart). Refused when the product is not sold or the line
    would exceed the available stock — unless ``keep_available`` (the
    storefront's forms): then the line holds what is available, and the
    answer says it was capped."""
    quantity = _check_quantity(runtime, quantity)
    row = await cart_row(token)
    variant = await _sellable_variant(sku, row["currency"])
    sku = variant["sku"]
    async with runtime.database.transaction():
        # One upsert (unique cart + sku), so two concurrent adds of the same SKU
        # add up instead of colliding; a total over the limits rolls back.
        line = await fetchone(
            "INSERT INTO cart_lines (cart, sku, quantity, seen_price, added_at) VALUES ({}, {}, {}, {}, {}) "
            "ON CONFLICT (cart, sku) DO UPDATE SET quantity = cart_lines.quantity + excluded.quantity, "
            "seen_price = excluded.seen_price RETURNING quantity",
            row["id"], sku, quantity, int(variant["price"]["amount"]), _now())
        total = int(line["quantity"])
        _check_quantity(runtime, total)
        available = int(variant["quantity_available"])
        capped = keep_available and 0 < available < total
        if capped:
            await fetch("UPDATE cart_lines SET quantity = {} WHERE cart = {} AND sku = {}", available, row["id"], sku)
            total = available
        _stock_check(sku, total, variant)
        await _touch(row["id"])
    return LineChange(total, capped)


async def set_quantity(runtime, token: str, sku: str, quantity: Any, keep_available: bool = False) -> LineChange:
    """Set a line's quantity (0 removes it); ``keep_available`` as for
    :func:`add_line`."""
    quantity = _check_quantity(runtime, quantity, allow_zero=True)
    row = await cart_row(token)
    existing = await fetchone("SELECT id FROM cart_lines WHERE cart = {} AND sku = {}", row["id"], sku)
    if existing is None:
        raise NotFound(f"{sku} is not in this cart.")
    if quantity == 0:
        await remove_line(runtime, token, sku)
        return LineChange(0)
    variant = await _sellable_variant(sku, row["currency"])
    available = int(variant["quantity_available"])
    capped = keep_available and 0 < available < quantity
    if capped:
        quantity = available
    _stock_check(sku, quantity, variant)
    async with runtime.database.transaction():
        await fetch("UPDATE cart_lines SET quantity = {} WHERE id = {}", quantity, existing["id"])
        await _touch(row["id"])
    return LineChange(quantity, capped)


async def remove_line(runtime, token: str, sku: str) -> None:
    row = await cart_row(token)
    async with runtime.database.transaction():
        deleted = await fetch("DELETE FROM cart_lines WHERE cart = {} AND sku = {} RETURNING id", row["id"], sku)
        if not deleted:
            raise NotFound(f"{sku} is not in this cart.")
        await _touch(row["id"])


async def add_voucher(runtime, token: str, code: Any) -> None:
    """Enter a voucher code. Refused (422 on ``code``) when no promotion has the
    code or it does not apply to this cart now."""
    if not isinstance(code, str) or not code.strip() or len(code.strip()) > 64:
        raise InvalidInput("Enter a voucher code.", {"code": "is required"})
    if not pricing.vouchers_enabled(runtime):
        raise InvalidInput("This shop does not take voucher codes.", {"code": "vouchers are not enabled"})
    code = code.strip().upper()
    state = await load_cart(token)
    codes = [c for c in state.vouchers if c != code]
    if len(codes) >= MAX_VOUCHERS:
        raise InvalidInput(f"A cart takes at most {MAX_VOUCHERS} vouchers.", {"code": "too many vouchers"})
    rejected = await pricing.voucher_rejections(state.priceable(), pricing_context(runtime, state, codes + [code]))
    if code in rejected:
        raise InvalidInput(rejected[code], {"code": rejected[code]})
    if not state.priceable():
        raise InvalidInput("Add something to the cart before entering a voucher.", {"code": "the cart is empty"})
    await _save_vouchers(runtime, state.row["id"], codes + [code])


async def remove_voucher(runtime, token: str, code: str) -> None:
    state = await load_cart(token)
    codes = [c for c in state.vouchers if c != code.strip().upper()]
    if len(codes) == len(state.vouchers):
        raise NotFound(f"Voucher {code} is not on this cart.")
    await _save_vouchers(runtime, state.row["id"], codes)


async def _save_vouchers(runtime, cart_id: int, codes: list[str]) -> None:
    async with runtime.database.transaction():
        await fetch("UPDATE carts SET vouchers = {}, updated_at = {} WHERE id = {}", json.dumps(codes), _now(), cart_id)


async def _touch(cart_id: int) -> None:
    await fetch("UPDATE carts SET updated_at = {} WHERE id = {}", _now(), cart_id)


async def merge_carts(runtime, guest_token: str | None, customer: int) -> str:
    """Fold the guest cart into the customer's open cart (on login) and return
    the token of the customer's cart. Quantities of the same SKU are added up
    (capped at ``checkout.max_line_quantity``), vouchers are combined, and the
    guest cart is marked ``merged``. Without a customer cart the guest cart
    simply becomes the customer's."""
    own = await fetchone("SELECT * FROM carts WHERE customer = {} AND status = 'open' ORDER BY updated_at DESC, id DESC",
                         customer)
    guest = None
    if guest_token:
        try:
            guest = await cart_row(guest_token)
        except NotFound:
            guest = None
    if guest is not None and guest["customer"] not in (None, customer):
        guest = None
    if guest is None:
        return own["token"] if own else await create_cart(runtime, customer)
    if own is None or own["id"] == guest["id"]:
        async with runtime.database.transaction():
            await fetch("UPDATE carts SET customer = {}, updated_at = {} WHERE id = {}", customer, _now(), guest["id"])
        return guest["token"]
    maximum = runtime.settings.checkout.max_line_quantity
    async with runtime.database.transaction():
        mine = {l["sku"]: l for l in await fetch("SELECT id, sku, quantity FROM cart_lines WHERE cart = {}", own["id"])}
        for line in await fetch("SELECT sku, quantity, seen_price FROM cart_lines WHERE cart = {} ORDER BY id", guest["id"]):
            if line["sku"] in mine:
                total = min(int(mine[line["sku"]]["quantity"]) + int(line["quantity"]), maximum)
                await fetch("UPDATE cart_lines SET quantity = {} WHERE id = {}", total, mine[line["sku"]]["id"])
            else:
                await CartLine.insert(CartLine(cart=own["id"], sku=line["sku"], quantity=line["quantity"],
                                               seen_price=line["seen_price"], added_at=_now())).run()
        codes = list(dict.fromkeys(json.loads(own["vouchers"] or "[]") + json.loads(guest["vouchers"] or "[]")))
        await fetch("UPDATE carts SET vouchers = {}, updated_at = {} WHERE id = {}", json.dumps(codes[:MAX_VOUCHERS]),
                    _now(), own["id"])
        await fetch("UPDATE carts SET status = 'merged', updated_at = {} WHERE id = {}", _now(), guest["id"])
    return own["token"]


async def customer_cart(customer: int) -> str | None:
    """The token of the customer's open cart, if any."""
    row = await fetchone("SELECT token FROM carts WHERE customer = {} AND status = 'open' ORDER BY updated_at DESC, "
                         "id DESC", customer)
    return row["token"] if row else None


# ---------------------------------------------------------------- viewing
def pricing_context(runtime, state: CartState, vouchers: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """The pricing hooks' ``context`` for ``state`` (``extra`` adds or replaces keys)."""
    return {
        "currency": state.currency,
        "prices_include_tax": runtime.settings.checkout.prices_include_tax,
        "customer": state.row.get("customer"),
        "vouchers": list(state.vouchers if vouchers is None else vouchers),
        "address": None,
        "shipping": None,
        "email": None,
        "channel": "web",
        **extra,
    }


async def price_cart(runtime, state: CartState, **context: Any) -> PricedCart:
    return await price_lines(runtime, state.priceable(), pricing_context(runtime, state, **context))


async def view_cart(runtime, token: str, address: dict | None = None) -> dict[str, Any]:
    """The cart as JSON-ready data, re-priced now, with notices."""
    return (await view_cart_state(runtime, token, address))[1]


async def view_cart_state(runtime, token: str, address: dict | None = None) -> tuple[CartState, dict[str, Any]]:
    """:func:`view_cart` and the cart state it was made from (as loaded,
    before any line it removed; see :mod:`engine.storefront.cart_cache`)."""
    state = await load_cart(token)
    loaded = CartState(state.row, list(state.lines), state.category_ids)
    notices: list[dict[str, Any]] = []
    gone = [line for line in state.lines if not line.sellable]
    for line in gone:
        notices.append({"kind": "removed", "sku": line.sku,
                        "message": f"{line.sku} is no longer sold and was removed from your cart."})
    changed: list[tuple[str, int]] = []
    for line in state.lines:
        if not line.sellable:
            continue
        price = int(line.variant["price"]["amount"])
        if line.seen_price is not None and line.seen_price != price:
            before = Money(line.seen_price, state.currency)
            after = Money(price, state.currency)
            notices.append({"kind": "price_changed", "sku": line.sku,
                            "message": f"The price of {line.variant['product_title']} changed from "
                                       f"{before.as_decimal()} to {after.as_decimal()} {state.currency}.",
                            "previous": before.to_json(), "current": after.to_json()})
        if line.seen_price != price:
            changed.append((line.sku, price))
        if line.quantity > line.available:
            message = (f"{line.variant['product_title']} is out of stock." if line.available <= 0 else
                       f"Only {line.available} of {line.variant['product_title']} are available.")
            notices.append({"kind": "availability", "sku": line.sku, "message": message,
                            "quantity_available": max(line.available, 0)})
    if gone or changed:
        async with runtime.database.transaction():
            for line in gone:
                await fetch("DELETE FROM cart_lines WHERE cart = {} AND sku = {}", state.row["id"], line.sku)
            for sku, price in changed:
                await fetch("UPDATE cart_lines SET seen_price = {} WHERE cart = {} AND sku = {}", price,
                            state.row["id"], sku)
        state.lines = [line for line in state.lines if line.sellable]
    priced = await price_cart(runtime, state, address=address)
    applied = {(a.code or "").upper() for a in priced.adjustments if a.code}
    unapplied = [code for code in state.vouchers if code not in applied]
    if unapplied:
        reasons = await pricing.voucher_rejections(priced.lines, pricing_context(runtime, state, address=address))
        for code in unapplied:
            notices.append({"kind": "voucher", "code": code,
                            "message": reasons.get(code, f"Voucher {code} does not apply to this cart.")})
    return loaded, cart_json(state, priced, notices)


def adjustment_json(adjustment) -> dict[str, Any]:
    return {"label": adjustment.label, "amount": adjustment.amount.to_json(), "source": adjustment.source,
            "code": adjustment.code, "sku": adjustment.sku}


def tax_line_json(tax_line) -> dict[str, Any]:
    return {"label": tax_line.label, "rate": str(tax_line.rate), "amount": tax_line.amount.to_json()}


def totals_json(priced: PricedCart) -> dict[str, Any]:
    """``{subtotal, discounts, shipping, tax, total, currency}`` in minor units;
    ``discounts`` is what the adjustments take off (negative for a surcharge),
    so ``total = subtotal - discounts + shipping (+ tax unless included)``."""
    return {
        "subtotal": priced.subtotal.amount,
        "discounts": -priced.discount_total.amount,
        "shipping": priced.shipping_total.amount,
        "tax": priced.tax_total.amount,
        "total": priced.total.amount,
        "currency": priced.currency,
        "tax_included": priced.prices_include_tax,
    }


def unavailable_notice(priced: PricedCart) -> dict[str, Any] | None:
    """The notice of a cart priced without the adjustments of plugins that
    failed (``pricing_adjustments`` skips them), or None."""
    if not priced.unavailable:
        return None
    return {"kind": "pricing_unavailable", "plugins": list(priced.unavailable),
            "message": "Some discounts are unavailable right now and are not included in these prices."}


def cart_json(state: CartState, priced: PricedCart, notices: list[dict[str, Any]]) -> dict[str, Any]:
    """The cart as JSON-ready data; ``notices`` plus, when a pricing plugin
    failed, a ``pricing_unavailable`` notice naming it."""
    unavailable = unavailable_notice(priced)
    if unavailable is not None:
        notices = [*notices, unavailable]
    by_sku = {line.sku: line for line in state.lines}
    lines = []
    for index, priced_line in enumerate(priced.lines):
        info = by_sku[priced_line.sku]
        variant = info.variant
        lines.append({
            "sku": priced_line.sku,
            "title": variant["product_title"],
            "product_slug": variant["product_slug"],
            "options": variant["options"],
            "image": variant.get("image_url"),
            "quantity": priced_line.quantity,
            "unit_price": priced_line.unit_price.to_json(),
            "subtotal": priced_line.unit_price.times(priced_line.quantity).to_json(),
            "discount": priced.line_adjustments[index].to_json(),
            "total": priced.line_total(index).to_json(),
            "quantity_available": max(info.available, 0),
            "in_stock": info.available >= priced_line.quantity,
        })
    return {
        "id": state.token,
        "currency": state.currency,
        "customer": state.row.get("customer"),
        "lines": lines,
        "item_count": sum(line["quantity"] for line in lines),
        "vouchers": state.vouchers,
        "adjustments": [adjustment_json(a) for a in priced.adjustments],
        "tax_lines": [tax_line_json(t) for t in priced.tax_lines],
        "totals": totals_json(priced),
        "notices": notices,
        "last_order": state.row.get("last_order"),
    }


async def ensure_open(token: str) -> None:
    """Raise when the cart is missing (for routes that only read)."""
    await cart_row(token)


__all__ = [
    "add_line", "add_voucher", "cart_json", "create_cart", "customer_cart", "load_cart", "merge_carts",
    "pricing_context", "remove_line", "remove_voucher", "set_quantity", "view_cart", "view_cart_state",
]
