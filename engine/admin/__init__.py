"""The admin's HTML pages under ``/admin``, rendered with the admin's own
templates (never the storefront theme): staff sign-in with two-factor, the
staff member's own account, staff and roles, API tokens, the audit log and the
security policy. Every page declares its permission
(:func:`engine.admin.access.staff_page`). The admin's JSON API is
``engine.api.admin_*``."""
from __future__ import annotations

from quart import Quart


def install(app: Quart) -> None:
    """Register the admin pages, and the admin's rendering of the HTTP layer's
    small pages (:mod:`engine.web.pages`) for requests under /admin."""
    from engine.admin import rendering, web
    from engine.web import pages
    from engine.web.sessions import uses_staff_session

    async def message_page(status: int, title: str, message: str):
        return await rendering.render_admin("admin/message.html", status=status, title=title, message=message)

    pages.register(app, uses_staff_session, message_page)
    app.register_blueprint(web.blueprint)
