"""The JSON API under ``/api/v1`` and the provider webhooks under ``/webhooks``.

Thin views: each translates a request into one domain service call and the
result (or the :class:`engine.errors.ShopError` it raised) into JSON or
``application/problem+json``. One module per resource; admin resources
(``/api/v1/admin/...``, bearer tokens with scopes) are the ``admin_*`` modules.
"""
from __future__ import annotations

from quart import Quart


def install(app: Quart) -> None:
    """Register every API blueprint."""
    from engine.api import (
        account,
        admin_catalog,
        admin_customers,
        admin_jobs,
        admin_plugins,
        admin_promotions,
        admin_staff,
        admin_webhooks,
        carts,
        checkout,
        fulfillments,
        orders,
        products,
        provider_webhooks,
    )

    for blueprint in (admin_plugins.blueprint, admin_staff.blueprint, account.blueprint, carts.blueprint,
                      checkout.blueprint, orders.blueprint, orders.admin, admin_promotions.blueprint,
                      provider_webhooks.blueprint, products.blueprint, admin_catalog.blueprint,
                      admin_webhooks.blueprint, admin_jobs.blueprint, fulfillments.blueprint,
                      admin_customers.blueprint):
        app.register_blueprint(blueprint)
