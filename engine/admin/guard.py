"""Admin access control: every route under ``/admin`` and ``/api/v1/admin``
declares its permission, and a route that does not is refused.

- JSON routes use :func:`engine.accounts.auth.require_permission`.
- HTML pages use :func:`staff_page`: a visitor who is not signed in is sent
  to ``/admin/login`` (303); a signed-in staff member without the
  permission gets 403; one who must still set up two-factor is sent to
  ``/admin/account/2fa``.
- :data:`PUBLIC_ADMIN_ROUTES` lists, with the reason, the only admin routes
  open without a permission.

:func:`install` adds the deny-by-default check: before any admin request,
the matched view must carry ``required_permission`` or be public, else 403.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from quart import Quart, current_app, g, redirect, request

from engine.accounts.auth import current_actor
from engine.accounts.staff import SELF
from engine.admin.registry import actor_has
from engine.api.problems import problem_response

#: Admin routes reachable without a permission, and why.
PUBLIC_ADMIN_ROUTES: dict[str, str] = {
    "/admin/login": "the staff sign-in form",
    "/admin/login/2fa": "the second sign-in step (needs a password-checked pending session)",
    "/admin/theme-preview/_exit": "ends a theme preview: only clears the visitor's own preview cookie",
}
#: Permission of pages every signed-in staff member may open.
ANY_STAFF = SELF
TWO_FACTOR_PATHS = ("/admin/account/2fa", "/admin/logout")


def is_admin_path(path: str) -> bool:
    return path == "/admin" or path.startswith(("/admin/", "/api/v1/admin"))


def staff_page(permission: str) -> Callable:
    """Guard an admin HTML page with ``permission``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any):
            actor = await current_actor()
            if actor is None or actor.get("kind") != "staff":
                return redirect(f"/admin/login?next={request.path}", 303)
            if actor.get("must_enrol") and not request.path.startswith(TWO_FACTOR_PATHS):
                return redirect("/admin/account/2fa", 303)
            if not actor_has(actor, permission):
                from engine.admin.rendering import render_admin

                return await render_admin("admin/message.html", status=403, title="Not allowed",
                                          message=f"This page needs the {permission!r} permission.")
            g.actor = actor
            return await view(*args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return decorate


def view_permission(rule_endpoint: str) -> str | None:
    view = current_app.view_functions.get(rule_endpoint)
    return getattr(view, "required_permission", None) if view is not None else None


def install(app: Quart) -> None:
    @app.before_request
    async def _deny_undeclared_admin_routes():
        if not is_admin_path(request.path) or request.url_rule is None:
            return None
        if request.url_rule.rule in PUBLIC_ADMIN_ROUTES:
            return None
        if view_permission(request.endpoint or ""):
            return None
        if request.path.startswith("/api/"):
            return problem_response(403, "Forbidden", "This admin route declares no permission: denied.")
        from engine.security.pages import plain_page

        return plain_page(403, "Not allowed", "This admin page declares no permission: denied.")
