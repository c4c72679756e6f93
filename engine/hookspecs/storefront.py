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
