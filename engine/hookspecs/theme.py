"""Theme hooks: template context and content security policy."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request", on_failure="skip")
def theme_template_context(template_name, request, settings):
    """Extra variables for a storefront template.

    Collect-all; may be async; request hook (fast, no network), called once per
    rendered page with the page's ``template_name`` (e.g. ``"product.html"``).
    Returns a dict or None; later plugins in hook order win on key clashes.
    Plugins only add names: the variables the storefront provides (``theme``,
    ``store``, ``csp_nonce``, the page's data, ...) cannot be replaced. A
    plugin that fails is left out (logged, shown to staff); the page renders.
    """


@spec("collect", "request", on_failure="skip")
def theme_csp_sources():
    """Extra Content-Security-Policy sources (e.g. a payment provider's script
    host).

    Collect-all; may be async; request hook, called for every storefront HTML
    response, so it must be cheap (no I/O). Returns a dict mapping a directive
    (``"script-src"``, ``"frame-src"``, ...) to a list of sources, or None.
    Sources are added to the core policy; malformed ones and
    ``'unsafe-inline'`` are dropped with a warning. A plugin that fails adds
    nothing (logged, shown to staff).
    """
