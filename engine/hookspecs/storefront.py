"""Storefront hooks: scripts and styles plugins put on the shop's pages."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request", implementation="sync", on_failure="skip")
def storefront_assets(page, settings):
    """Scripts and stylesheets this plugin needs on the storefront page
    ``page``, and the Content-Security-Policy sources they need.

    Collect-all; sync; request hook, called for every storefront page that is
    rendered (fast, no I/O: build the answer from ``settings``, the plugin's
    own validated settings). ``page`` is the page's name: ``home``,
    ``category``, ``product``, ``search``, ``cart``, ``checkout``, ``order``,
    ``account``, ``404`` or ``unavailable``. Returns a list of
    :class:`engine.protocols.StorefrontAsset` (or None); an asset whose
    ``pages`` does not name ``page`` is left out, so a plugin may answer the
    same list for every page. Assets are placed where the theme puts its
    plugin slot (``{% include "partials/plugin_assets.html" %}`` in the
    ``<head>``), with the page's CSP nonce, in hook order; their sources are
    added to that page's policy only. An asset that is malformed (no or two
    locations, a bad URL, an unknown directive, a source with quotes or
    spaces) is left out with a warning; a plugin that raises is skipped and
    logged. Cached pages hold their assets: any change of a plugin's state
    or settings invalidates them. Example::

        from engine import hookimpl, sdk

        @hookimpl
        def storefront_assets(page, settings):
            return [sdk.script(settings.js_url, pages=("checkout", "order"),
                               csp={"frame-src": [sdk.origin_of(settings.js_url)]}),
                    sdk.script(static="js/pay.js", pages=("order",))]
    """


@spec("collect", "request", on_failure="skip")
def storefront_blocks(page, settings, runtime):
    """Content this plugin shows in the block slot of a storefront page
    (e.g. product recommendations).

    Collect-all; may be async; request hook (fast, no network: read what a
    job prepared), called for the ``product`` and ``cart`` pages. ``page``
    is an :class:`engine.protocols.StorefrontPage` (the page's name, its
    product, the cart's SKUs); ``settings`` the plugin's own settings.
    Returns a list of :class:`engine.protocols.StorefrontBlock` (or None):
    each is the plugin's template rendered with the page's context, ``page``
    and the block's context where
    the theme places the slot (``{% include "partials/plugin_blocks.html"
    %}``), in hook order, with autoescape. A block whose template is missing
    or fails to render is left out with a warning; a plugin that raises is
    skipped and logged, and the page renders without its blocks. Cached
    pages hold their blocks while the catalog, stock, site and plugin
    counters stand still. Example::

        from engine import hookimpl
        from engine.protocols import StorefrontBlock

        @hookimpl
        async def storefront_blocks(page, runtime):
            if page.page == "product":
                return [StorefrontBlock("hello/block.html", {"slug": page.product_slug})]
    """
