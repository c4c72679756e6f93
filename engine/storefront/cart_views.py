"""Storefront cart, checkout and order pages: HTML forms over the cart and
checkout services. Every page works without JavaScript; every POST checks
the CSRF token.

The visitor's cart token lives in the session under ``cart`` (the accounts
sign-in merges it into the customer's cart). Checkout is four steps —
contact and shipping address, shipping method, payment method, review —
whose answers are kept in the session under ``checkout`` until the order is
placed. The review step carries an idempotency key, so a double-submitted
"Place order" returns the first order.

Templates: ``cart.html`` (``cart``, ``messages``, ``errors``),
``checkout.html`` (``steps``, ``step``, ``cart``, ``form``, ``errors``,
``problem``, ``shipping_methods``, ``payment_methods``, ``review``) and
``order.html`` (``number``, ``order``, ``token``).

These routes are registered before the storefront's own blueprint, so they
answer ``/cart``, ``/checkout`` and ``/orders/<number>``.
"""
from __future__ import annotations

import uuid
from typing import Any

from quart import Blueprint, Quart, current_app, redirect, request, session

from engine.cart import services as carts
from engine.catalog import services as catalog
from engine.checkout import payment_switch, service
from engine.addresses import ADDRESS_FIELDS, country_choices, country_name
from engine.errors import InvalidInput, NotFound, PluginFailure, ShopError
from engine.orders import returns
from engine.orders import services as orders
from engine.payments import settlement
from engine.plugins import HookError
from engine.pricing import services as pricing
from engine.protocols import OrderPlacement
from engine.storefront import cart_cache, variants
from engine.storefront.rendering import csrf_valid, current_theme, render
from engine.web.client import client_ip

blueprint = Blueprint("storefront_cart", __name__)

STEPS = [("contact", "Contact"), ("shipping", "Shipping"), ("payment", "Payment"), ("review", "Review")]
SESSION_CART = "cart"
SESSION_CHECKOUT = "checkout"


def install(app: Quart) -> None:
    app.register_blueprint(blueprint)
    cart_cache.install(app)


def _runtime():
    return current_app.runtime


def _customer() -> int | None:
    value = session.get("customer_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _cart_token(create: bool = False, check: bool = True) -> str | None:
    """The visitor's open cart (the signed-in customer's when there is one).
    ``check=False`` leaves checking that the cart is still open to the caller
    (which then calls :func:`_forget_cart` when it is not)."""
    token = session.get(SESSION_CART)
    customer = _customer()
    if customer is not None:
        own = await carts.customer_cart(customer)
        if token and token != own:
            token = await carts.merge_carts(_runtime(), token, customer)
        else:
            token = own
    if token and check:
        try:
            await carts.cart_row(token)
        except NotFound:
            token = None
    if token is None and create:
        token = await carts.create_cart(_runtime(), customer)
    if token != session.get(SESSION_CART):
        if token:
            session[SESSION_CART] = token
        else:
            session.pop(SESSION_CART, None)
    return token


def _forget_cart() -> None:
    session.pop(SESSION_CART, None)


async def _category_tree() -> list[dict]:
    """The navigation's category tree, from the storefront's cache (same key)."""
    from engine.web.caching import cached

    return await cached("category_tree", None, ("catalog",), catalog.category_tree)


async def _page(template: str, status: int = 200, **context: Any):
    await current_theme()
    return await render(template, status=status, categories=await _category_tree(), **context)


def _messages() -> list[str]:
    return session.pop("cart_messages", [])


def _say(message: str) -> None:
    session["cart_messages"] = [*session.get("cart_messages", []), message]


async def _form() -> dict[str, str]:
    form = await request.form
    return {key: form.get(key, "") for key in form}


def _quantity(value: str) -> int | str:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


async def _refused():
    return await _page("cart.html", 400, cart=None, messages=["The form expired. Reload the page and try again."],
                       errors={})


# ---------------------------------------------------------------- cart
async def _cart_page(status: int = 200, errors: dict[str, str] | None = None, messages: list[str] | None = None):
    token = await _cart_token(check=False)  # view_cart reads the cart anyway
    plain = status == 200 and not errors and not messages and token is not None and await cart_cache.usable()
    if plain:
        cached = await cart_cache.lookup(token)
        if cached is not None:
            return cached
    cart = state = None
    with pricing.promotions_read_once():  # pricing and the reuse check read them once
        if token:
            try:
                state, cart = await carts.view_cart_state(_runtime(), token)
            except NotFound:  # ordered, or gone
                _forget_cart()
        response = await _page("cart.html", status, cart=cart, errors=errors or {},
                               messages=(messages or []) + _messages())
        if plain and cart is not None:
            await cart_cache.store(response, state, cart)
    return response


@blueprint.get("/cart")
async def cart_page():
    return await _cart_page()


@blueprint.post("/cart")
async def cart_add():
    """The product page's add-to-cart form: ``quantity``, and either the
    product's ``option:<name>`` fields with ``product`` (its slug) — the
    variant of exactly those options is added — or a ``sku``."""
    if not await csrf_valid():
        return await _refused()
    form = await _form()
    token = await _cart_token(create=True)
    try:
        sku = await _posted_sku(form)
        change = await carts.add_line(_runtime(), token, sku, _quantity(form.get("quantity", "1")),
                                      keep_available=True)
    except ShopError as exc:
        return await _cart_page(exc.status, exc.errors, [exc.detail])
    _say(await _capped_message(sku, change.quantity) if change.capped else "Added to your cart.")
    return redirect("/cart", 303)


async def _label(sku: str) -> str:
    """``Oxford shirt (L / Red)`` for ``sku`` (the SKU itself when it is gone)."""
    variant = (await catalog.get_variants([sku])).get(sku)
    return carts.line_label(variant) if variant else sku


async def _capped_message(sku: str, held: int) -> str:
    return f"Only {held} of {await _label(sku)} are available: your cart holds {held}."


async def _posted_sku(form: dict[str, str]) -> str:
    """The SKU an add-to-cart form asks for (see :func:`cart_add`)."""
    chosen = variants.posted_options(form)
    if not chosen or not form.get("product"):
        return form.get("sku", "")
    product = await catalog.get_product(form["product"], runtime=_runtime())
    if product is None:
        raise NotFound("This product is no longer available.")
    variant = variants.variant_for_options(product, chosen)
    if variant is None:
        raise InvalidInput(f"{product['title']} is not available as {variants.describe(chosen)}: "
                           "choose other options.")
    return variant["sku"]


@blueprint.post("/cart/update")
async def cart_update():
    """Change one line: ``sku`` and ``quantity`` (0 or ``remove`` removes it)."""
    if not await csrf_valid():
        return await _refused()
    form = await _form()
    token = await _cart_token()
    if token is None:
        return redirect("/cart", 303)
    sku = form.get("sku", "")
    try:
        if "remove" in form:
            label = await _label(sku)
            await carts.remove_line(_runtime(), token, sku)
            _say(f"Removed {label}.")
        else:
            change = await carts.set_quantity(_runtime(), token, sku, _quantity(form.get("quantity", "")),
                                              keep_available=True)
            _say(await _capped_message(sku, change.quantity) if change.capped else "Cart updated.")
    except ShopError as exc:
        return await _cart_page(exc.status, exc.errors, [exc.detail])
    return redirect("/cart", 303)


@blueprint.post("/cart/voucher")
async def cart_voucher():
    """Enter (``code``) or take off (``remove`` = code) a voucher."""
    if not await csrf_valid():
        return await _refused()
    form = await _form()
    token = await _cart_token()
    if token is None:
        return redirect("/cart", 303)
    try:
        if form.get("remove"):
            await carts.remove_voucher(_runtime(), token, form["remove"])
        else:
            await carts.add_voucher(_runtime(), token, form.get("code", ""))
            _say(f"Voucher {form.get('code', '').strip().upper()} applied.")
    except ShopError as exc:
        return await _cart_page(exc.status, {"code": exc.errors.get("code", exc.detail)}, [exc.detail])
    return redirect("/cart", 303)


# ---------------------------------------------------------------- checkout
def _state() -> dict[str, Any]:
    return dict(session.get(SESSION_CHECKOUT) or {})


def _save(state: dict[str, Any]) -> None:
    session[SESSION_CHECKOUT] = state


def _address_from(form: dict[str, str], prefix: str) -> dict[str, str]:
    return {name: form.get(f"{prefix}_{name}", "").strip() for name in ADDRESS_FIELDS}


def _field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Service error keys (``shipping_address.postal_code``) → form field names."""
    out = {}
    for key, message in errors.items():
        prefix, _, name = key.partition("_address.")
        out[f"{prefix}_{name}" if name else key] = message
    return out


def _complete(state: dict[str, Any]) -> str:
    """The first step whose answers are missing."""
    if not state.get("email") or not state.get("shipping_address"):
        return "contact"
    if not state.get("shipping_method"):
        return "shipping"
    if not state.get("payment_method"):
        return "payment"
    return "review"


def _body(state: dict[str, Any]) -> dict[str, Any]:
    body = {"email": state.get("email", ""), "shipping_address": state.get("shipping_address") or {},
            "shipping_method": state.get("shipping_method", ""), "payment_method": state.get("payment_method", "")}
    if state.get("billing_address"):
        body["billing_address"] = state["billing_address"]
    return body


def _plugin_problem(exc: HookError | PluginFailure) -> str:
    """What the shopper reads when a plugin the checkout needs failed (tax and
    payment fail closed: nothing can be ordered until it works again)."""
    if isinstance(exc, PluginFailure):
        return exc.detail
    return (f"Checkout is not possible right now: the plugin {exc.plugin!r} failed ({exc.reason}). "
            f"Nothing was ordered; please try again later.")


def _no_shipping_message(address: dict[str, Any]) -> str:
    """What the shipping step says when no method serves the address."""
    store = _runtime().settings.store
    country = country_name(str(address.get("country") or ""), store.locale)
    if store.countries:
        where = ", ".join(name for _, name in country_choices(store.countries, store.locale))
        return (f"We cannot ship to this address in {country}. We ship to: {where}. "
                "Check the address, or go back and enter another one.")
    return (f"No shipping method is available for this address in {country}. "
            "Check the address, or go back and enter another one.")


async def _checkout_page(step: str, token: str, state: dict[str, Any], status: int = 200,
                         errors: dict[str, str] | None = None, problem: str | None = None,
                         form: dict[str, Any] | None = None):
    """The checkout page at ``step``. A plugin failure while it is put together
    (pricing, tax, shipping, payment methods) shows on the page, with 502."""
    runtime = _runtime()
    cart = None
    context: dict[str, Any] = {"shipping_methods": [], "payment_methods": [], "review": None, "no_shipping": None}
    try:
        cart = await carts.view_cart(runtime, token)
        if step == "shipping":
            context["shipping_methods"] = (await service.shipping_methods(runtime, token,
                                                                          state.get("shipping_address")))["items"]
            context["no_shipping"] = _no_shipping_message(state.get("shipping_address") or {})
        elif step == "payment":
            context["payment_methods"] = (await service.payment_methods(runtime, token))["items"]
        elif step == "review" and problem is None:
            try:
                context["review"] = await service.preview(runtime, token, _body(state), _customer())
            except ShopError as exc:
                if isinstance(exc, PluginFailure):
                    raise
                problem, errors, status = exc.detail, _field_errors(exc.errors), exc.status
    except (HookError, PluginFailure) as exc:
        problem, status = _plugin_problem(exc), 502
    values = {"email": state.get("email", ""), "shipping": state.get("shipping_address") or {},
              "billing": state.get("billing_address") or {}, "billing_same": not state.get("billing_address"),
              "shipping_method": state.get("shipping_method", ""), "payment_method": state.get("payment_method", "")}
    values.update(form or {})
    return await _page("checkout.html", status, steps=STEPS, step=step, cart=cart, form=values,
                       errors=errors or {}, problem=problem, **context)


@blueprint.get("/checkout")
async def checkout_page():
    token = await _cart_token()
    try:
        cart = await carts.view_cart(_runtime(), token) if token else None
    except HookError as exc:  # e.g. the tax plugin: the page says so
        return await _checkout_page("contact", token, _state(), 502, problem=_plugin_problem(exc))
    if cart is None or not cart["lines"]:
        # Nothing to buy: the first step, with a way back to the shop.
        return await _page("checkout.html", steps=STEPS, step="contact", cart=cart, errors={},
                           form={"email": "", "shipping": {}, "billing": {}, "billing_same": True,
                                 "shipping_method": "", "payment_method": ""},
                           problem="Your cart is empty: add something before checking out.",
                           shipping_methods=[], payment_methods=[], review=None)
    state = _state()
    wanted = request.args.get("step", "contact")
    order = [key for key, _ in STEPS]
    if wanted not in order:
        wanted = "contact"
    first_missing = _complete(state)
    if order.index(wanted) > order.index(first_missing):
        return redirect(f"/checkout?step={first_missing}", 303)
    if wanted == "review" and not state.get("key"):
        state["key"] = uuid.uuid4().hex
        _save(state)
    return await _checkout_page(wanted, token, state)


@blueprint.post("/checkout")
async def checkout_submit():
    if not await csrf_valid():
        return await _refused()
    token = await _cart_token()
    if token is None:
        return redirect("/cart", 303)
    form = await _form()
    step = form.get("step", "contact")
    state = _state()
    runtime = _runtime()
    if step == "contact":
        email = form.get("email", "").strip()
        address = _address_from(form, "shipping")
        body = {**_body(state), "email": email, "shipping_address": address}
        store = runtime.settings.store
        errors = service.validate_details(body, store.countries, store.locale)
        if errors:
            return await _checkout_page("contact", token, state, 422, _field_errors(errors),
                                        "Please correct the marked fields.",
                                        form={"email": email, "shipping": address})
        state.update(email=email, shipping_address=service.clean_address(address, "shipping_address"))
        state.pop("shipping_method", None)
        state.pop("key", None)
        _save(state)
        return redirect("/checkout?step=shipping", 303)
    if step == "shipping":
        try:
            methods = (await service.shipping_methods(runtime, token, state.get("shipping_address")))["items"]
        except (HookError, PluginFailure) as exc:
            return await _checkout_page("shipping", token, state, 502, problem=_plugin_problem(exc))
        chosen = form.get("shipping_method", "")
        if chosen not in {m["id"] for m in methods}:
            return await _checkout_page("shipping", token, state, 422, {"shipping_method": "Choose a shipping method."},
                                        "Choose a shipping method.")
        state.update(shipping_method=chosen)
        state.pop("key", None)
        _save(state)
        return redirect("/checkout?step=payment", 303)
    if step == "payment":
        try:
            methods = (await service.payment_methods(runtime, token))["items"]
        except (HookError, PluginFailure) as exc:
            return await _checkout_page("payment", token, state, 502, problem=_plugin_problem(exc))
        chosen = form.get("payment_method", "")
        if chosen not in {m["id"] for m in methods}:
            return await _checkout_page("payment", token, state, 422, {"payment_method": "Choose a payment method."},
                                        "Choose a payment method.")
        billing = None
        if form.get("billing_different"):
            billing = _address_from(form, "billing")
            errors = service.validate_details({**_body(state), "billing_address": billing})
            if errors:
                return await _checkout_page("payment", token, state, 422, _field_errors(errors),
                                            "Please correct the billing address.",
                                            form={"billing": billing, "billing_same": False, "payment_method": chosen})
            billing = service.clean_address(billing, "billing_address")
        state.update(payment_method=chosen, billing_address=billing)
        state.pop("key", None)
        _save(state)
        return redirect("/checkout?step=review", 303)
    # review: place the order
    key = state.get("key") or uuid.uuid4().hex
    state["key"] = key
    _save(state)
    try:
        order, _ = await service.place_order(runtime, token, _body(state), key, customer=_customer(),
                                             context=OrderPlacement(client_ip(), "storefront"))
    except HookError as exc:
        return await _checkout_page("review", token, state, 502, problem=_plugin_problem(exc))
    except ShopError as exc:
        return await _checkout_page("review", token, state, exc.status, _field_errors(exc.errors), exc.detail)
    session.pop(SESSION_CHECKOUT, None)
    session.pop(SESSION_CART, None)
    return redirect(f"/orders/{order['number']}?token={order['access_token']}", 303)


# ---------------------------------------------------------------- return from a provider
@blueprint.get("/checkout/return/<plugin>")
async def payment_return(plugin: str):
    """The shopper comes back from ``plugin``'s payment step
    (``?order=<number>&token=<access token>`` plus the provider's own
    parameters): the gateway completes the payment, then the order page
    shows where it stands. A provider that does not answer leaves the order
    as it was (the webhook or the reconciliation settles it) and the page
    says so."""
    number = (request.args.get("order") or "")[:32]
    token = request.args.get("token")
    params = {key: value[:500] for key, value in list(request.args.items())[:30] if key not in ("order", "token")}
    try:
        await settlement.complete_return(_runtime(), plugin[:100], number, token, params, _customer())
    except NotFound:
        return await _page("order.html", 404, number=number, order=None, token=None)
    except PluginFailure:
        return redirect(f"/orders/{number}?token={token or ''}&payment=unconfirmed", 303)
    return redirect(f"/orders/{number}?token={token or ''}", 303)


# ---------------------------------------------------------------- order
@blueprint.get("/orders/<number>")
async def order_page(number: str):
    return await _order_page(number, request.args.get("token"))


async def _order_page(number: str, token: str | None, status: int = 200, payment_error: str | None = None,
                      errors: dict | None = None, message: str = ""):
    try:
        row = await orders.shopper_row(_runtime(), number, token, _customer())
    except NotFound:
        return await _page("order.html", 404, number=number[:32], order=None, token=None)
    order = await orders.order_json(_runtime(), row, with_token=True)
    pictures = await catalog.get_variants([line["sku"] for line in order["lines"]])
    for line in order["lines"]:  # the product's picture as it is now (orders keep no images)
        line["image"] = (pictures.get(line["sku"]) or {}).get("image_url")
    return await _page("order.html", status, number=order["number"], order=order, token=token,
                       shipments=order["shipments"], returns=await returns.returns_of(row["id"]),
                       returnable=await returns.returnable(_runtime(), row), return_errors=errors or {},
                       return_message=message or ("Your return request was sent. We will write when it is approved."
                                                  if request.args.get("return") == "requested" else ""),
                       payment_choices=await payment_switch.payment_choices(_runtime(), order),
                       payment_error=payment_error,
                       payment_unconfirmed=request.args.get("payment") == "unconfirmed")


@blueprint.post("/orders/<number>/payment-method")
async def order_payment_method(number: str):
    """The order page's "pay another way" form: ``payment_method`` (an id
    the page offered) and ``token`` (the order's access token, unless the
    shopper placed it signed in). Success: back to the order page, which
    shows the new method's payment step; a refusal: the order page with the
    reason and the status (404, 409, 422, 502)."""
    form = await _form()
    token = form.get("token") or None
    if not await csrf_valid():
        return await _order_page(number, token, 400, "The form expired. Reload the page and try again.")
    try:
        await payment_switch.switch_payment_method(_runtime(), number, token, _customer(), form.get("payment_method"))
    except NotFound:
        return await _page("order.html", 404, number=number[:32], order=None, token=None)
    except ShopError as exc:
        return await _order_page(number, token, exc.status, exc.detail)
    return redirect(f"/orders/{number}?token={token or ''}", 303)


@blueprint.post("/orders/<number>/returns")
async def request_return(number: str):
    """The shopper asks to return units (``qty.<sku>``, ``reason``); the
    order's ``token`` comes with the form (or the signed-in customer's)."""
    if not await csrf_valid():
        return await _refused()
    form = await _form()
    token = form.get("token") or None
    try:
        row = await orders.shopper_row(_runtime(), number[:32], token, _customer())
        chosen = returns.form_lines(form, [line["sku"] for line in await orders.order_lines(row["id"])])
        await returns.request_return(_runtime(), row, chosen, str(form.get("reason", ""))[:returns.MAX_REASON + 1])
    except NotFound:
        return await _page("order.html", 404, number=number[:32], order=None, token=None)
    except ShopError as exc:
        return await _order_page(number[:32], token, exc.status, errors=exc.errors, message=exc.detail)
    return redirect(f"/orders/{number[:32]}?token={token or ''}&return=requested", 303)
