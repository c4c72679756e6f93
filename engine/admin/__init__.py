"""The admin's HTML pages under ``/admin``, rendered with the admin's own
templates (never the storefront theme). One module per area, each with its
blueprint:

- :mod:`~engine.admin.signin`: ``/admin/login``, ``/admin/login/2fa``, ``/admin/logout``
- :mod:`~engine.admin.dashboard`: ``/admin``, sales, low stock and plugin problems
- :mod:`~engine.admin.orders`: ``/admin/orders``, ``/admin/orders/<number>`` (its
  forms in :mod:`~engine.admin.order_page`)
- :mod:`~engine.admin.products`: ``/admin/products`` and its bulk actions;
  :mod:`~engine.admin.product_page`: ``/admin/products/new``, ``/admin/products/<id>``;
  :mod:`~engine.admin.product_transfers`: ``/admin/products/transfers`` (CSV jobs);
  :mod:`~engine.admin.categories`: ``/admin/categories``; :mod:`~engine.admin.warehouses`: ``/admin/warehouses``
- :mod:`~engine.admin.account`: ``/admin/account``
- :mod:`~engine.admin.two_factor`: ``/admin/account/2fa``
- :mod:`~engine.admin.staff`: ``/admin/staff``
- :mod:`~engine.admin.roles`: ``/admin/roles``
- :mod:`~engine.admin.tokens`: ``/admin/tokens``
- :mod:`~engine.admin.audit_log`: ``/admin/audit``
- :mod:`~engine.admin.security_policy`: ``/admin/security``
- :mod:`~engine.admin.plugins`: ``/admin/plugins``, ``/admin/plugins/<name>``
  (settings forms from :mod:`~engine.admin.schema_form`)
- :mod:`~engine.admin.themes`: ``/admin/themes``, ``/admin/themes/<name>`` (the customizer)
- :mod:`~engine.admin.jobs`: ``/admin/jobs``
- :mod:`~engine.admin.emails`: ``/admin/emails`` (previews and test messages)
- :mod:`~engine.admin.customers`: ``/admin/customers``, ``/admin/customers/<id>``
  (export, deletion on request)
- :mod:`~engine.admin.promotions`: ``/admin/promotions`` (promotions and vouchers)
- :mod:`~engine.admin.store_settings`: ``/admin/settings`` (store settings and taxes)
- :mod:`~engine.admin.reports`: ``/admin/reports`` (sales reports, CSV export)
- :mod:`~engine.admin.plugin_pages`: ``/admin/plugins/<plugin>/<path>``, the
  pages plugins add (``admin_pages``), each with its own permission

Every page declares its permission (:func:`engine.admin.access.staff_page`);
views translate a form into one service call of :mod:`engine.accounts`,
which checks the rules and writes the audit entry. The admin's JSON API is
``engine.api.admin_*``."""
from __future__ import annotations

from quart import Quart


def install(app: Quart) -> None:
    """Register the admin pages, and the admin's rendering of the HTTP layer's
    small pages (:mod:`engine.web.pages`) for requests under /admin."""
    from engine.admin import (account, audit_log, dashboard, emails, jobs, order_page, orders, plugin_pages, plugins,
                              rendering, roles, security_policy, signin, staff, themes, tokens, two_factor)
    from engine.admin import attributes, categories, collections, product_page, product_transfers, products, warehouses
    from engine.admin import customers, promotions, reports, store_settings
    from engine.web import pages
    from engine.web.sessions import uses_staff_session

    async def message_page(status: int, title: str, message: str):
        return await rendering.render_admin("admin/message.html", status=status, title=title, message=message)

    pages.register(app, uses_staff_session, message_page)
    for module in (signin, dashboard, account, two_factor, staff, roles, tokens, audit_log, security_policy, plugins,
                   themes, jobs, emails, plugin_pages, orders, order_page):
        app.register_blueprint(module.blueprint)
    for module in (products, product_page, product_transfers, categories, collections, attributes, warehouses,
                   customers, promotions, reports, store_settings):
        app.register_blueprint(module.blueprint)
