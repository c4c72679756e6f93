"""Shopper account pages under ``/account`` (HTML, work without JavaScript).

Templates (looked up through the theme; fallbacks ship with ``core_auth``
under ``core_auth/account/...``): ``account/index.html``, ``login.html``,
``signup.html``, ``password.html``, ``reset_request.html``, ``reset.html``,
``addresses.html``, ``address_form.html``, ``orders.html``,
``delete.html`` and ``message.html``.

Signing in rotates the session id (:func:`sign_in`); signing out ends the
session on the server; changing the password ends every other session.
While Redis (the session store) is down, the changes that end a user's
sessions (password change or reset, "sign out everywhere", deletion) are
refused with the 503 "try again" page before anything changes
(:func:`engine.web.sessions.require_every_store`).
Sign-in attempts and reset-link requests are throttled by
:mod:`engine.accounts.customer_signin`: a refused attempt is answered 429
with ``Retry-After``. Pages for signed-in shoppers redirect others to
``/account/login?next=...`` (303).
"""
from __future__ import annotations

import json
import time
from functools import wraps
from typing import Any, Callable
from urllib.parse import quote

import structlog
from quart import Blueprint, Response, current_app, g, redirect, request, session

from engine.accounts import customer_signin, customers
from engine.accounts.auth import LoginFailed, is_redirect_method, login_methods
from engine.catalog import services as catalog
from engine.web import client, redirects, sessions
from engine.storefront.rendering import render

log = structlog.get_logger("shopwright.accounts")

blueprint = Blueprint("accounts", __name__)

FLOW_SECONDS = 600
SIGNED_IN_KEYS = ("customer_id", "signed_in_at", "login_flow")


# ------------------------------------------------------------------ helpers
def signed_in_id() -> int | None:
    value = session.get("customer_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def current_customer() -> dict | None:
    if "customer" not in g:
        g.customer = await customers.get_customer(signed_in_id())
    return g.customer


def safe_next(value: object, default: str = "/account") -> str:
    """A path on this site to go to after signing in, never another site
    (:func:`engine.web.redirects.local_path`; else ``default``)."""
    return redirects.local_path(value, default)


async def page(template_name: str, status: int = 200, **context: Any) -> Response:
    customer = context.pop("customer", None)
    if customer is None and signed_in_id() is not None:
        customer = await current_customer()
    response = await render([f"account/{template_name}", f"core_auth/account/{template_name}"], status=status,
                            categories=await catalog.category_tree(),
                            customer=customers.public(customer) if customer else None, **context)
    if customer is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


async def message(title: str, text: str, status: int = 200, **context: Any) -> Response:
    return await page("message.html", status, title=title, text=text, **context)


def login_required(view: Callable) -> Callable:
    @wraps(view)
    async def wrapped(*args: Any, **kwargs: Any):
        if signed_in_id() is None or await current_customer() is None:
            if signed_in_id() is not None:  # the account is gone
                await sessions.end(session)
            return redirect(f"/account/login?next={quote(request.path, safe='/')}", 303)
        return await view(*args, **kwargs)

    return wrapped


async def _form() -> dict[str, str]:
    form = await request.form
    return {key: form.get(key, "") for key in form}


async def _merge_cart(customer_id: int) -> None:
    """Fold the visitor's cart into the customer's (the session keeps the
    cart's token under ``cart`` or ``cart_token``)."""
    for key in ("cart", "cart_token"):
        token = session.get(key)
        if isinstance(token, str) and token:
            try:
                from engine.cart.services import merge_carts

                session[key] = await merge_carts(current_app.runtime, token, customer_id)
            except Exception as exc:  # never block a sign-in on the cart
                log.warning("account.cart_merge_failed", customer=customer_id, error=repr(exc))
            return


async def sign_in(customer_id: int) -> None:
    """Sign the shopper in: a new session id (the old one is dead), the
    visitor's other session data (the cart) kept."""
    for key in SIGNED_IN_KEYS:
        session.pop(key, None)
    session["customer_id"] = customer_id
    session["signed_in_at"] = int(time.time())
    await sessions.rotate(session)  # type: ignore[arg-type]
    await _merge_cart(customer_id)
    log.info("account.signed_in", customer=customer_id, ip=client.client_ip())


async def _login_page(status: int = 200, **context: Any) -> Response:
    methods = [{"id": m.id, "title": m.title} for _, m in await login_methods(current_app.runtime)
               if is_redirect_method(m)]
    return await page("login.html", status, methods=methods, **context)


# ------------------------------------------------------------------ overview
@blueprint.get("/account")
@blueprint.get("/account/")
async def index():
    customer = await current_customer() if signed_in_id() is not None else None
    if customer is None:
        return await page("index.html", customer=None, orders=[], sessions=[])
    orders = await customers.order_history(customer["id"], limit=5)
    records = await sessions.user_sessions("shop", customer["id"])
    this = session.stored_hash  # type: ignore[attr-defined]
    listed = [{"current": r.sid_hash == this, "ip": r.ip, "user_agent": r.user_agent,
               "last_seen": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r.last_seen_at))} for r in records]
    return await page("index.html", customer=customer, orders=orders, sessions=listed,
                      addresses=await customers.list_addresses(customer["id"]))


# ------------------------------------------------------------------ sign in / out / up
@blueprint.get("/account/login")
async def login():
    return await _login_page(next=safe_next(request.args.get("next")))


@blueprint.post("/account/login")
async def login_submit():
    form = await _form()
    email = form.get("email", "").strip().lower()[:320]
    next_url = safe_next(form.get("next"))
    try:
        customer = await customer_signin.sign_in(current_app.runtime, email, form.get("password", ""),
                                                 ip=client.client_ip())
    except customer_signin.Throttled as exc:
        response = await _login_page(429, error=exc.message(), email=email, next=next_url)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except customer_signin.SignInFailed:
        return await _login_page(401, error="The e-mail address or the password is wrong.", email=email,
                                 next=next_url)
    await sign_in(customer["id"])
    return redirect(next_url, 303)


@blueprint.post("/account/logout")
async def logout():
    customer = signed_in_id()
    await sessions.end(session)  # type: ignore[arg-type]
    if customer is not None:
        log.info("account.signed_out", customer=customer)
    return redirect("/", 303)


@blueprint.get("/account/signup")
async def signup():
    return await page("signup.html")


@blueprint.post("/account/signup")
async def signup_submit():
    """Sign-up answers the same whether or not the address has an account
    (303 to ``/account/signup/sent``, nobody signed in): the service e-mails
    either a confirmation link or a notice to the address's owner."""
    form = await _form()
    try:
        await customers.sign_up(current_app.runtime, form.get("email", ""), form.get("password", ""),
                                form.get("name", ""))
    except customers.CustomerError as exc:
        return await page("signup.html", 422, error=str(exc), errors=exc.errors,
                          email=form.get("email", "")[:320], name=form.get("name", "")[:200])
    return redirect("/account/signup/sent", 303)


@blueprint.get("/account/signup/sent")
async def signup_sent():
    return await message("Check your inbox", "We sent a message to the address you gave. Follow the link in it "
                         "to confirm your address, then sign in with your password.", link="/account/login")


# ------------------------------------------------------------------ e-mail verification
@blueprint.get("/account/verify")
async def verify():
    verified = await customers.verify_email(current_app.runtime, request.args.get("token", ""))
    if verified is None:
        return await message("This link does not work", "The confirmation link is invalid, expired or was used "
                             "already. Sign in and ask for a new one.", 400)
    return await message("E-mail address confirmed", "Thank you: your e-mail address is confirmed.")


@blueprint.post("/account/verify/resend")
@login_required
async def verify_resend():
    await customers.request_verification(current_app.runtime, signed_in_id())
    return await message("Check your inbox", "We sent you a new confirmation link.")


# ------------------------------------------------------------------ passwords
@blueprint.get("/account/password")
@login_required
async def password():
    return await page("password.html")


@blueprint.post("/account/password")
@login_required
async def password_submit():
    form = await _form()
    customer_id = signed_in_id()
    await sessions.require_every_store()  # the other sessions must end with the old password
    try:
        await customers.change_password(customer_id, form.get("current_password", ""), form.get("new_password", ""))
    except customers.CustomerError as exc:
        return await page("password.html", 422, error=str(exc), errors=exc.errors)
    ended = await sessions.end_user_sessions("shop", customer_id)
    await sessions.rotate(session)  # type: ignore[arg-type]
    log.info("account.sessions_ended", customer=customer_id, sessions=ended, reason="password changed")
    return await message("Password changed", "Your password is changed. Every other session of your account "
                         "was signed out.")


@blueprint.get("/account/reset")
async def reset():
    token = request.args.get("token")
    if not token:
        return await page("reset_request.html")
    from engine.accounts import tokens

    if await tokens.check(current_app.settings.secret_key, token, tokens.RESET_PASSWORD) is None:
        return await message("This link does not work", "The reset link is invalid, expired or was used already. "
                             "Ask for a new one.", 400, link="/account/reset")
    return await page("reset.html", token=token)


@blueprint.post("/account/reset")
async def reset_submit():
    form = await _form()
    token = form.get("token", "")
    if not token:
        email = form.get("email", "").strip().lower()[:320]
        try:
            await customer_signin.request_password_reset(current_app.runtime, email, ip=client.client_ip())
        except customer_signin.Throttled as exc:
            response = await page("reset_request.html", 429, error=exc.message(), email=email)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        return await message("Check your inbox", "If an account uses this address, we sent it a link to choose a "
                             "new password. The link works once, for a limited time.")
    await sessions.require_every_store()  # every session must end with the old password
    try:
        customer_id = await customers.reset_password(current_app.runtime, token, form.get("new_password", ""))
    except customers.CustomerError as exc:
        if exc.errors:
            return await page("reset.html", 422, token=token, error=str(exc), errors=exc.errors)
        return await message("This link does not work", str(exc), 400, link="/account/reset")
    ended = await sessions.end_user_sessions("shop", customer_id)
    log.info("account.sessions_ended", customer=customer_id, sessions=ended, reason="password reset")
    return await message("Password changed", "Your new password is set. Sign in with it.", link="/account/login")


# ------------------------------------------------------------------ sessions
@blueprint.post("/account/sessions/end-others")
@login_required
async def end_others():
    await sessions.require_every_store()
    ended = await sessions.end_other_sessions(session)  # type: ignore[arg-type]
    await sessions.rotate(session)  # type: ignore[arg-type]
    return await message("Signed out everywhere else", f"{ended} other session(s) were signed out.",
                         link="/account")


# ------------------------------------------------------------------ addresses
def _address_form(form: dict[str, str]) -> dict[str, str]:
    return {name: form.get(name, "") for name in ("first_name", "last_name", "company", "line1", "line2", "city",
                                                   "region", "postal_code", "country", "phone")}


@blueprint.get("/account/addresses")
@login_required
async def addresses():
    return await page("addresses.html", addresses=await customers.list_addresses(signed_in_id()))


@blueprint.post("/account/addresses")
@login_required
async def address_create():
    form = await _form()
    try:
        await customers.create_address(signed_in_id(), _address_form(form), default=bool(form.get("is_default")))
    except customers.CustomerError as exc:
        return await page("address_form.html", 422, address=_address_form(form), error=str(exc), errors=exc.errors,
                          action="/account/addresses")
    return redirect("/account/addresses", 303)


@blueprint.get("/account/addresses/new")
@login_required
async def address_new():
    return await page("address_form.html", address={}, action="/account/addresses")


@blueprint.get("/account/addresses/<int:address_id>")
@login_required
async def address_edit(address_id: int):
    found = await customers.get_address(signed_in_id(), address_id)
    if found is None:
        return await message("Address not found", "There is no such address in your address book.", 404)
    return await page("address_form.html", address=found, action=f"/account/addresses/{address_id}")


@blueprint.post("/account/addresses/<int:address_id>")
@login_required
async def address_update(address_id: int):
    form = await _form()
    try:
        updated = await customers.update_address(signed_in_id(), address_id, _address_form(form),
                                                 default=bool(form.get("is_default")))
    except customers.CustomerError as exc:
        return await page("address_form.html", 422, address={**_address_form(form), "id": address_id},
                          error=str(exc), errors=exc.errors, action=f"/account/addresses/{address_id}")
    if updated is None:
        return await message("Address not found", "There is no such address in your address book.", 404)
    return redirect("/account/addresses", 303)


@blueprint.post("/account/addresses/<int:address_id>/delete")
@login_required
async def address_delete(address_id: int):
    if not await customers.delete_address(signed_in_id(), address_id):
        return await message("Address not found", "There is no such address in your address book.", 404)
    return redirect("/account/addresses", 303)


# ------------------------------------------------------------------ orders, export, deletion
@blueprint.get("/account/orders")
@login_required
async def orders():
    return await page("orders.html", orders=await customers.order_history(signed_in_id()))


@blueprint.get("/account/export")
@login_required
async def export():
    data = await customers.export_data(signed_in_id())
    response = Response(json.dumps(data, indent=2, default=str), content_type="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-account.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/account/delete")
@login_required
async def delete():
    return await page("delete.html")


@blueprint.post("/account/delete")
@login_required
async def delete_submit():
    form = await _form()
    customer_id = signed_in_id()
    try:
        await customers.delete_account(current_app.runtime, customer_id, form.get("password", ""))
    except customers.CustomerError as exc:
        return await page("delete.html", 422, error=str(exc), errors=exc.errors)
    await sessions.end(session)  # type: ignore[arg-type]
    return await message("Account deleted", "Your account and personal data are deleted. Orders you placed are "
                         "kept for our books without your name, address or e-mail.", customer=None)


# ------------------------------------------------------------------ external sign-in
async def _redirect_method(method_id: str):
    for _, method in await login_methods(current_app.runtime):
        if method.id == method_id and is_redirect_method(method):
            return method
    return None


@blueprint.get("/account/login/<method_id>")
async def external_begin(method_id: str):
    method = await _redirect_method(method_id)
    if method is None:
        return await message("Sign-in method not available", "This way of signing in is not available.", 404)
    base = current_app.settings.store.base_url.rstrip("/")
    flow: dict[str, Any] = {"redirect_uri": f"{base}/account/login/{method_id}/callback",
                            "next": safe_next(request.args.get("next"))}
    try:
        url = await method.begin(request, flow)
    except LoginFailed as exc:
        return await message("Sign-in failed", str(exc), 502)
    session["login_flow"] = {**flow, "method": method_id, "at": time.time()}
    return redirect(url, 303)


@blueprint.get("/account/login/<method_id>/callback")
async def external_callback(method_id: str):
    flow = session.pop("login_flow", None)
    method = await _redirect_method(method_id)
    if method is None or not isinstance(flow, dict) or flow.get("method") != method_id \
            or time.time() - float(flow.get("at", 0)) > FLOW_SECONDS:
        return await message("Sign-in failed", "This sign-in attempt expired or was not started here. Try again.",
                             400, link="/account/login")
    try:
        identity = await method.complete(request, json.loads(json.dumps(flow)))
        customer = await customers.sign_in_external(method_id, identity)
    except (LoginFailed, customers.CustomerError) as exc:
        log.warning("auth.external_failed", method=method_id, error=str(exc), ip=client.client_ip())
        return await message("Sign-in failed", str(exc), 401, link="/account/login")
    await sign_in(customer["id"])
    return redirect(safe_next(flow.get("next")), 303)


@blueprint.get("/account/<path:rest>")
async def account_other(rest: str):
    """Unknown account pages: sign in first; signed in, the themed 404."""
    if signed_in_id() is None:
        return redirect("/account/login", 303)
    from engine.storefront.views import not_found_page

    return await not_found_page()
