"""Theme hooks: template context and content security policy."""
from __future__ import annotations

from engine import hookspec


@hookspec
def theme_template_context(template_name, request, settings):
    """Extra variables for a storefront template.

    Collect-all; may be async; request hook (fast, no network). Returns a dict
    or None; later plugins in hook order win on key clashes.
    """


@hookspec
def theme_csp_sources():
    """Extra Content-Security-Policy sources (e.g. a payment provider's script
    host).

    Collect-all; sync; called per response, so it must be cheap. Returns a
    dict mapping a directive (``"script-src"``, ``"frame-src"``, ...) to a list
    of sources, or None.
    """
