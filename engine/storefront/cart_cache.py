"""The cart page, shown again without re-pricing while nothing it shows can
have changed.

A shopper's cart page is personal (a session) and priced through the
pricing hooks, so the response cache (:mod:`engine.web.caching`) never holds
it. This cache keeps one rendered cart page per cart and session, in the
process's memory, and serves it again only while all of these hold:

- **the cart is the same**: the cart row and its lines, read with one query
  on every view, equal those the page was rendered from (checked against the
  very state the render loaded, so a change that lands during the render is
  never filed under the state before it);
- **nothing it was priced or rendered from changed**: every change counter
  (:mod:`engine.cache.counters`: catalog, stock, site, plugins, promotions
  and voucher usage) is what it was when the page was made, so a price,
  stock, promotion, theme or plugin-setting change made by any process shows
  on the next view;
- **time has not changed it**: ``until``, the first moment a promotion of
  the cart starts or ends (or any plugin's own ``until``), has not passed;
- **every pricing plugin agreed**: each active plugin implementing a
  ``pricing_*`` hook answered ``pricing_reuse`` (see
  :mod:`engine.hookspecs.pricing`); a plugin that does not is priced on every
  view, which is what the hook's contract promises it;
- **the page is plain**: a ``200`` with no flash message, no form error, no
  notice that made the view write (a line removed, a price change noted) or
  that a pricing plugin failed (its discounts left out this time), not
  a theme preview, and no active plugin adds ``theme_template_context`` (it
  may depend on the shopper's session).

The CSRF token in the page is the session's own (the session's seed is in
the key); the CSP nonce is replaced by a fresh one on every answer, as in the
response cache. Pages are kept in a store of their own (``cache.max_cart_pages``,
``cache.max_cart_pages_mb``, least recently used first out);
``cache.cart_pages = false`` turns this cache off, ``cache.enabled = false``
turns it off with the rest.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from quart import Response, current_app, g, request, session

from engine.cache.responses import HEADER, NONCE_MARKER
from engine.cache.store import MemoryStore, entry_size
from engine.cart import services as carts
from engine.pricing import services as pricing
from engine.protocols import PricingReuse
from engine.storefront.rendering import current_theme
from engine.web.caching import current_generation, mint_nonce
from engine.web.headers import csp_header

#: hooks whose answers make the cart's prices
PRICING_HOOKS = ("pricing_base_price", "pricing_adjustments", "pricing_tax_provider")
#: notices after which the view wrote to the cart (they show once)
WRITING_NOTICES = frozenset({"removed", "price_changed"})
#: notices of a page that must be priced again on the next view: a pricing
#: plugin failed, and its answer may be back then
UNPRICED_NOTICES = frozenset({"pricing_unavailable"})
async def usable() -> bool:
    """Whether this request may be answered from, or fill, the cart page cache."""
    app = current_app
    settings = app.settings.cache
    if not (settings.enabled and settings.cart_pages) or request.method != "GET":
        return False
    if "cart_messages" in session or not getattr(session, "seed", None):
        return False
    if (await current_theme()).preview:
        return False
    return not app.runtime.host.subscribers("theme_template_context")


def install(app) -> None:
    """Give ``app`` its cart pages (``app.cart_pages``): a store of their own,
    so shoppers' carts never push the shared catalog pages out."""
    settings = app.settings.cache
    app.cart_pages = MemoryStore(settings.max_cart_pages, settings.max_cart_pages_mb * 1024 * 1024)


def _key(token: str, revision_: carts.Revision) -> tuple:
    # the query string too: a theme may render request.args
    return ("cart_page", token, revision_, session.seed, request.scheme, request.host, request.query_string)


async def lookup(token: str) -> Response | None:
    """The cached page for the cart ``token``, or None (then :func:`store`
    may keep the page this request renders)."""
    current = await carts.revision(token)
    if current is None:
        return None
    generation = await current_generation()
    key = _key(token, current)
    entry = current_app.cart_pages.get(key, generation)
    if entry is not None and (entry["until"] is None or time.time() < entry["until"]):
        return await _serve(entry)
    # before anything is priced: a promotion starting or ending after this
    # instant may already be in the page
    g.cart_page_key = (key, current, generation, datetime.now(timezone.utc))
    return None


async def _serve(entry: dict) -> Response:
    nonce = mint_nonce()
    body = entry["body"].replace(entry["nonce"], nonce)
    response = Response(body, status=200, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = await csp_header(nonce)
    response.vary.add("Cookie")
    response.headers[HEADER] = "hit"
    return response


async def _reuse_until(runtime, state, context: dict[str, Any], priced_after: datetime) -> tuple[bool, float | None]:
    """``(reusable, until)`` from the active pricing plugins and the cart's
    promotions (epoch seconds; None: no time limit). A page whose ``until``
    has already passed is not reusable."""
    host = runtime.host
    pricers = {name for hook in PRICING_HOOKS for name in host.subscribers(hook)}
    answers = dict(await host.hook("pricing_reuse", lines=state.priceable(), context=context))
    if any(not isinstance(answers.get(name), PricingReuse) for name in pricers):
        return False, None
    moments = [answer.until for answer in answers.values() if isinstance(answer, PricingReuse) and answer.until]
    # the voucher notices read the promotions too, whichever plugins are active
    own = await pricing.reuse_until(context.get("vouchers") or (), priced_after)
    if own is not None:
        moments.append(own)
    until = min((m if m.tzinfo else m.replace(tzinfo=timezone.utc) for m in moments), default=None)
    if until is None:
        return True, None
    return until.timestamp() > time.time(), until.timestamp()


async def store(response: Response, state, cart: dict[str, Any]) -> None:
    """Keep ``response`` (the cart page rendered from ``state``) when this
    request looked the cache up and the page may be shown again."""
    looked = g.get("cart_page_key")
    if looked is None or response.status_code != 200:
        return
    key, looked_revision, generation, priced_after = looked
    if getattr(session, "modified", False) or getattr(session, "cookie_dirty", False):
        return
    if any(notice.get("kind") in WRITING_NOTICES | UNPRICED_NOTICES for notice in cart.get("notices", ())):
        return
    if carts.state_revision(state) != looked_revision:  # the cart changed while this page was made
        return
    nonce = (g.get("cache_markers") or {}).get(NONCE_MARKER)
    if not nonce:
        return
    runtime = current_app.runtime
    reusable, until = await _reuse_until(runtime, state, carts.pricing_context(runtime, state), priced_after)
    if not reusable:
        return
    body = (await response.get_data()).decode("utf-8")
    settings = current_app.settings.cache
    if len(body) > settings.max_page_kb * 1024:
        return
    entry = {"body": body, "nonce": nonce, "until": until}
    current_app.cart_pages.set(key, entry, generation, settings.page_ttl_seconds, entry_size(key, entry))
    response.headers[HEADER] = "miss"
