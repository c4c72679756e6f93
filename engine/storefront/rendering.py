"""Rendering a storefront page: the request's theme, the template context,
money formatting and the response headers (CSP, caching).

Every storefront HTML response goes through :func:`render`, which adds a
Content-Security-Policy without ``'unsafe-inline'``: inline ``<script>`` and
``<style>`` elements need ``nonce="{{ csp_nonce }}"``; plugins add sources
through the ``theme_csp_sources`` hook. The page's plugin assets
(``storefront_assets``, :mod:`engine.storefront.plugin_assets`) are in the
context as ``plugin_assets``, rendered by the theme's plugin slot
(``{% include "partials/plugin_assets.html" %}``), and their sources are
added to this page's policy. The product and cart pages' plugin blocks
(``storefront_blocks``, :mod:`engine.storefront.plugin_blocks`) are in the
context as ``plugin_blocks``, rendered by ``partials/plugin_blocks.html``. Preview responses are
``Cache-Control: private, no-store``; every page varies on ``Cookie``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import structlog
from quart import Response, current_app, g, request, url_for

from engine.addresses import country_choices, region_choices
from engine.cache.responses import CSRF_MARKER, NONCE_MARKER
from engine.fulfillment.promise import free_shipping_from
from engine.money import Money, format_amount
from engine.storefront.plugin_assets import page_assets, page_name
from engine.storefront.plugin_blocks import page_blocks, page_view
from engine.themes import preview, registry
from engine.themes.state import ThemeView
from engine.web.caching import cached, mint_nonce, remember
from engine.web.headers import csp_header

log = structlog.get_logger("shopwright.storefront")

PREVIEW_PARAM = "preview_theme"


# ------------------------------------------------------------------ money
def _format(amount: int, currency: str, locale: str) -> str:
    return format_amount(amount, currency, locale)


def format_money(value: Any, locale: str | None = None) -> str:
    """Money, ``{"amount", "currency"}`` or None → localised text (babel), from
    integer minor units (never a float). Results are memoised (prices repeat)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = Money(int(value["amount"]), str(value["currency"]))
    if not isinstance(value, Money):
        raise TypeError(f"cannot format {value!r} as money")
    return _format(value.amount, value.currency, locale or current_app.settings.store.locale)


def money_filter(value: Any, currency: str | None = None) -> str:
    """``{{ product.price_from | money }}``; a bare int needs ``currency``
    (defaults to the store's)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = Money(value, currency or current_app.settings.store.currency)
    return format_money(value)


def region_options(prefix: str = "shipping") -> list[tuple[str, str]]:
    """Suggestions for an address form's region field (a ``<datalist>``): the
    states and provinces of the countries whose regions are checked, among the
    shop's shipping countries for a ``shipping`` address."""
    store = current_app.settings.store
    return list(region_choices(tuple(store.countries) if prefix == "shipping" else ()))


def tax_note() -> str:
    """What prices shown on catalog pages mean for tax, when the core tax plugin
    has rates: "incl. VAT" (``checkout.prices_include_tax``) or "plus VAT" (the
    plugin's ``label``); empty when no tax is charged."""
    host = current_app.runtime.host
    if not host.is_active("core_tax"):
        return ""
    settings = host.settings_for("core_tax")
    if settings is None or not getattr(settings, "rates", None):
        return ""
    label = getattr(settings, "label", "Tax") or "Tax"
    return f"incl. {label}" if current_app.settings.checkout.prices_include_tax else f"plus {label}"


def country_options(prefix: str = "shipping") -> list[tuple[str, str]]:
    """``[(code, name)]`` for an address form's country select: the shop's
    shipping countries for a ``shipping`` address, every country otherwise."""
    store = current_app.settings.store
    return country_choices(store.countries if prefix == "shipping" else (), store.locale)


def query_without(args, *keys: str) -> str:
    """The query string of ``args`` without ``keys``, ending in ``&`` when not
    empty (``?{{ request.args|query_without("image") }}image=2``)."""
    from urllib.parse import urlencode

    pairs = [(k, v) for k in args for v in args.getlist(k) if k not in keys]
    return urlencode(pairs) + "&" if pairs else ""


# ------------------------------------------------------------------ csrf
def csrf_token() -> str:
    """The visitor's CSRF token for POST forms (hidden field ``csrf_token``),
    derived from the server-side session (see :mod:`engine.web.csrf`)."""
    from engine.web.csrf import current_token

    return current_token()


def recording_csrf(function: Callable[[], str]) -> Callable[[], str]:
    """``function`` (a template's ``csrf_token()``) that also records the
    token it returns as a cache marker (see :mod:`engine.cache.responses`),
    so a cached page is served with each visitor's own token."""
    if getattr(function, "unwrapped", None) is not None:
        return function

    @functools.wraps(function)
    def recorded(*args: Any, **kwargs: Any) -> str:
        token = function(*args, **kwargs)
        remember(CSRF_MARKER, token)
        return token

    recorded.unwrapped = function  # type: ignore[attr-defined]
    return recorded


async def csrf_valid() -> bool:
    """True when the request carries its session's CSRF token (every unsafe
    request is already checked before its view runs; 403 otherwise)."""
    from engine.web.csrf import request_token_valid

    return await request_token_valid()


# ------------------------------------------------------------------ theme of a request
async def current_theme() -> ThemeView:
    """The theme this request renders with: a staff preview when the request
    carries a valid preview grant, else the active theme."""
    if "theme_view" in g:
        return g.theme_view
    state = current_app.theme_state
    await state.refresh_if_stale()
    view = None
    grant = preview.read(current_app.settings.secret_key, request.cookies.get(preview.COOKIE))
    wanted = request.args.get(PREVIEW_PARAM)
    if grant is not None and state.usable(grant.theme) and wanted in (None, grant.theme):
        settings = None
        if grant.settings is not None:
            try:
                settings = registry.validate_theme_settings(state.themes[grant.theme], grant.settings)
            except registry.ThemeSettingsError:
                settings = None
        view = state.view(grant.theme, settings, preview=True)
    g.theme_view = view or state.view()
    return g.theme_view


# ------------------------------------------------------------------ shipping promise
async def shipping_free_over() -> Money | None:
    """The shop's free-shipping threshold in the store currency (themes show
    it as ``shipping_free_over``), cached under the plugin-settings and site
    change counters: a changed threshold or rate table shows on the next request."""
    currency = current_app.settings.store.currency

    async def load() -> dict:
        promise = await free_shipping_from(current_app.runtime, currency)
        return {"amount": promise.amount if promise else None}   # a dict: None itself is never cached

    try:
        amount = (await cached("shipping_promise", currency, ("plugins", "site"), load))["amount"]
    except Exception as exc:  # a banner never takes a page down (providers' own failures are already dropped)
        log.warning("storefront.shipping_promise_failed", error=repr(exc))
        return None
    return None if amount is None else Money(amount, currency)


# ------------------------------------------------------------------ render
async def render(template: str | list[str], status: int = 200, **context: Any) -> Response:
    """Render ``template`` (or the first existing of a list) with the request's theme."""
    view = await current_theme()
    nonce = g.get("csp_nonce") or mint_nonce()
    remember(NONCE_MARKER, nonce)
    names = [template] if isinstance(template, str) else template
    assets = await page_assets(current_app.runtime, page_name(names[0]))
    base = {
        "request": request,
        "store": current_app.settings.store,
        "theme": view.settings,
        "theme_name": view.name,
        "preview": view.preview,
        "csp_nonce": nonce,
        "csrf_token": current_app.theme_state.globals.get("csrf_token", csrf_token),
        "url_for": url_for,
        "template_name": names[0],
        "plugin_assets": assets.items,
        "shipping_free_over": await shipping_free_over(),
        "return_window_days": current_app.settings.fulfillment.return_window_days,
    }
    extras: dict[str, Any] = {}
    for _, extra in await current_app.runtime.host.hook("theme_template_context", template_name=names[0],
                                                         request=request):
        if isinstance(extra, dict):
            extras.update(extra)
    base = {**extras, **base, **context}  # plugins add names, never replace the storefront's
    base["plugin_blocks"] = ()
    if current_app.runtime.host.subscribers("storefront_blocks"):   # else not even the cart is read
        base["plugin_blocks"] = await page_blocks(current_app.runtime, await page_view(page_name(names[0]), base),
                                                  view.environment, base)
    body = view.environment.select_template(names).render(base)
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = await csp_header(nonce, assets.csp)
    response.vary.add("Cookie")
    if view.preview:
        response.headers["Cache-Control"] = "private, no-store"
        # the admin's theme customizer shows a preview in an iframe of its own origin
        response.headers["Content-Security-Policy"] = response.headers["Content-Security-Policy"].replace(
            "frame-ancestors 'none'", "frame-ancestors 'self'")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
