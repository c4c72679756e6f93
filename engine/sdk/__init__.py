"""The SDK: what a plugin uses of the shop, besides ``engine`` (``hookimpl``,
``PluginManifest``, ``secret``, ``Money``, ``DomainEvent``),
``engine.protocols`` and ``engine.money``; a plugin's tests add
``engine.testing``. A plugin imports nothing else from ``engine``: the rest is
internal and may change in any release.

Import it as ``from engine import sdk`` and call ``sdk.<name>``. Every
function that touches the shop takes the runtime first: the ``runtime``
argument of a hook, ``ctx["runtime"]`` in a job, ``request.runtime`` in an
admin page, the argument of ``run_command``'s function.

- Catalog: :func:`product`, :func:`products`, :func:`products_by_id`, :func:`variant`,
  :func:`variants`, :func:`attributes` → :class:`Product`, :class:`Variant`,
  :class:`Attribute`, :class:`ProductPage` (published only unless asked).
- Orders: :func:`paid_order_lines` (paid orders' lines in bulk) →
  :class:`PaidOrderLine`; :func:`order` → :class:`OrderSnapshot` (with
  :class:`OrderLineSnapshot`), also the argument of ``orders_placing``;
  :class:`OrderRefused` refuses an order from that hook; :func:`hold_order`
  holds one for review (no capture, no shipping until staff approve) →
  :class:`OrderHold`, :func:`order_holds`; :func:`failed_payments` counts a
  shopper's refused payments.
- Stock: :func:`set_stock` (many SKUs at once, one transaction, with an
  ``origin`` carried by each ``stock_changed`` event) → :class:`StockChanges`.
- Bulk product writes: :func:`upsert_products` (products, variants and
  prices keyed by slug and SKU, all or nothing) → :class:`ProductUpserts`.
- Jobs: :func:`enqueue`.
- The plugin's own tables and the store: :func:`transaction`,
  :func:`store_currency`; in a plugin route's view, :func:`request_runtime`.
- Plugin state: :func:`plugin_settings`, :func:`is_active`.
- Admin pages (``admin_pages``): :class:`AdminPage`, :class:`AdminRequest`,
  :class:`AdminResponse`, :func:`render_admin`, :func:`redirect_admin`,
  :func:`download_admin`, :func:`audit_admin`, :func:`csrf_token`,
  :func:`csrf_field`, :func:`has_permission`; admin JSON
  routes: :func:`require_permission`.
- Storefront assets (``storefront_assets``): :class:`StorefrontAsset`,
  :func:`script`, :func:`style`, :func:`origin_of`; blocks
  (``storefront_blocks``): :class:`StorefrontBlock`, :class:`StorefrontPage`,
  :func:`storefront_changed`.
- Commands (``cli_commands``): :func:`run_command`.
- Sign-in (``auth_login_methods``): :class:`LoginFailed`,
  :class:`RedirectLoginMethod`.
- Errors: :class:`PluginError`, :class:`HookError`, :class:`ShopError`,
  :class:`NotFound`, :class:`InvalidInput`, :class:`OrderRefused`.

Versioning: the SDK has no version of its own; it is the engine's
(``engine.__version__``), and the ``engine`` range of a plugin's manifest
covers it. Within a major version the SDK only grows: a name, an argument
with a default or a field with a default may be added in a minor release;
removing or changing one needs a new major version, announced by a
deprecation warning for at least one minor release before.

The names are loaded on first use (``sdk.order`` imports the orders module
then), so importing ``engine.sdk`` in a plugin module costs nothing: the
``shopwright`` command imports every plugin to list its commands.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: public name -> the module of ``engine.sdk`` that defines or re-exports it
EXPORTS: dict[str, str] = {
    # catalog
    "Attribute": "catalog", "Product": "catalog", "ProductPage": "catalog", "Variant": "catalog",
    "attributes": "catalog", "product": "catalog", "products": "catalog", "products_by_id": "catalog",
    "variant": "catalog",
    "variants": "catalog",
    # orders
    "OrderLineSnapshot": "orders", "OrderSnapshot": "orders", "order": "orders",
    "PaidOrderLine": "orders", "paid_order_lines": "orders",
    "OrderHold": "orders", "hold_order": "orders", "order_holds": "orders", "failed_payments": "orders",
    # stock, bulk product writes
    "StockChanges": "stock", "set_stock": "stock", "ProductUpserts": "bulk", "upsert_products": "bulk",
    # jobs and plugin state
    "enqueue": "jobs", "is_active": "plugins", "plugin_settings": "plugins",
    # the plugin's own tables, the store's settings
    "store_currency": "shop", "transaction": "shop", "request_runtime": "shop",
    # admin
    "AdminPage": "admin", "AdminRequest": "admin", "AdminResponse": "admin", "audit_admin": "admin",
    "download_admin": "admin", "csrf_field": "admin",
    "csrf_token": "admin", "has_permission": "admin", "redirect_admin": "admin", "render_admin": "admin",
    "require_permission": "admin",
    # storefront
    "StorefrontAsset": "storefront", "origin_of": "storefront", "script": "storefront", "style": "storefront",
    "StorefrontBlock": "storefront", "StorefrontPage": "storefront", "storefront_changed": "storefront",
    # commands, sign-in, errors
    "run_command": "commands",
    "LoginFailed": "signin", "RedirectLoginMethod": "signin",
    "HookError": "errors", "InvalidInput": "errors", "NotFound": "errors", "OrderRefused": "errors",
    "PluginError": "errors", "ShopError": "errors",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    module = EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.sdk' has no attribute {name!r}")
    value = getattr(import_module(f"engine.sdk.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *EXPORTS})


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors
    from engine.sdk.admin import (AdminPage, AdminRequest, AdminResponse, audit_admin, csrf_field,  # noqa: F401
                                  csrf_token, download_admin, has_permission, redirect_admin, render_admin,
                                  require_permission)
    from engine.sdk.catalog import (Attribute, Product, ProductPage, Variant, attributes, product,  # noqa: F401
                                    products, products_by_id, variant, variants)
    from engine.sdk.commands import run_command  # noqa: F401
    from engine.sdk.bulk import ProductUpserts, upsert_products  # noqa: F401
    from engine.sdk.errors import (HookError, InvalidInput, NotFound, OrderRefused, PluginError,  # noqa: F401
                                   ShopError)
    from engine.sdk.jobs import enqueue  # noqa: F401
    from engine.sdk.orders import (OrderHold, OrderLineSnapshot, OrderSnapshot, PaidOrderLine,  # noqa: F401
                                   failed_payments, hold_order, order, order_holds, paid_order_lines)
    from engine.sdk.plugins import is_active, plugin_settings  # noqa: F401
    from engine.sdk.signin import LoginFailed, RedirectLoginMethod  # noqa: F401
    from engine.sdk.stock import StockChanges, set_stock  # noqa: F401
    from engine.sdk.storefront import (StorefrontAsset, StorefrontBlock, StorefrontPage, origin_of,  # noqa: F401
                                       script, storefront_changed, style)
