"""Content plugins put in a storefront page's block slot (the
``storefront_blocks`` call site).

:func:`page_view` describes the page for the hook (a
:class:`engine.protocols.StorefrontPage`: its product, the cart's SKUs);
:func:`page_blocks` asks the active plugins and renders each
:class:`engine.protocols.StorefrontBlock` with the page's theme environment
(autoescaped; plugin templates are in its loader chain), for the theme's
``{% include "partials/plugin_blocks.html" %}``. Only the ``product`` and
``cart`` pages have blocks. A block that is not a ``StorefrontBlock``, whose
template is missing or which fails to render is left out with a warning; a
plugin whose hook raises is skipped (logged, recorded by the host).
"""
from __future__ import annotations

from typing import Any, Mapping

import structlog
from jinja2 import TemplateError
from markupsafe import Markup
from quart import session

from engine.cart import services as carts
from engine.protocols import StorefrontBlock, StorefrontPage

log = structlog.get_logger("shopwright.storefront")

#: pages whose templates place the block slot
PAGES = ("product", "cart")
MAX_BLOCKS = 10


async def _session_cart_skus() -> tuple[str, ...]:
    """The SKUs in the visitor's open cart (one query; none without a cart,
    so a cookieless, cacheable request reads nothing)."""
    token = session.get("cart")   # cart_views.SESSION_CART (importing it would be a cycle)
    customer = session.get("customer_id")
    if not token and isinstance(customer, int) and not isinstance(customer, bool):
        token = await carts.customer_cart(customer)
    if not isinstance(token, str) or not token:
        return ()
    found = await carts.revision(token)
    return tuple(sku for sku, _, _ in found[1]) if found else ()


async def page_view(page: str, context: Mapping[str, Any]) -> StorefrontPage | None:
    """The hook's view of ``page`` rendered with ``context``; None for a page
    without blocks. A product page carries the visitor's cart SKUs too."""
    if page == "product" and isinstance(context.get("product"), Mapping):
        product = context["product"]
        return StorefrontPage("product", product_id=product.get("id"), product_slug=product.get("slug"),
                              cart_skus=await _session_cart_skus())
    if page == "cart":
        cart = context.get("cart") or {}
        skus = tuple(str(line.get("sku")) for line in cart.get("lines", ()) if line.get("sku"))
        return StorefrontPage("cart", cart_skus=skus)
    return None


async def page_blocks(runtime: Any, view: StorefrontPage | None, environment: Any,
                      base: Mapping[str, Any]) -> tuple[Markup, ...]:
    """The rendered blocks of the active plugins for ``view``, in hook order.
    A block's template sees the page's own context (``base``), ``page`` (the
    ``view``) and, over both, the block's ``context``."""
    if view is None:
        return ()
    rendered: list[Markup] = []
    for plugin, result in await runtime.host.hook("storefront_blocks", page=view, runtime=runtime):
        blocks = result if isinstance(result, (list, tuple)) else [result]
        for block in blocks[:MAX_BLOCKS]:
            if not isinstance(block, StorefrontBlock):
                log.warning("storefront_blocks.refused", plugin=plugin, problem=f"{block!r} is not a StorefrontBlock")
                continue
            try:
                html = environment.get_template(block.template).render({**base, "page": view, **dict(block.context)})
            except (TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
                log.warning("storefront_blocks.failed", plugin=plugin, template=block.template, problem=str(exc))
                continue
            rendered.append(Markup(html))
    return tuple(rendered)
