"""Admin access control: every route under ``/admin`` and ``/api/v1/admin``
declares its permission, and a route that does not is refused.

- JSON routes use :func:`engine.web.guard.require_permission`.
- HTML pages use :func:`engine.admin.access.staff_page`: a visitor who is not signed in is sent
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

from quart import Quart, current_app, g, request

from engine.accounts.auth import resolve_actor
from engine.accounts.permissions import actor_has
from engine.web.problems import Problem, problem_response

#: Admin routes reachable without a permission, and why.
PUBLIC_ADMIN_ROUTES: dict[str, str] = {
    "/admin/login": "the staff sign-in form",
    "/admin/login/2fa": "the second sign-in step (needs a password-checked pending session)",
    "/admin/theme-preview/_exit": "ends a theme preview: only clears the visitor's own preview cookie",
    "/admin/": "redirects to /admin, which checks the permission",
}


def is_admin_path(path: str) -> bool:
    return path == "/admin" or path.startswith(("/admin/", "/api/v1/admin"))


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
        from engine.web.pages import plain_page

        return plain_page(403, "Not allowed", "This admin page declares no permission: denied.")


def request_credentials() -> dict[str, Any]:
    """Bearer token of the request, else the staff session's sign-in (admin paths)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    credentials: dict[str, Any] = {}
    if scheme.lower() == "bearer" and value.strip():
        credentials["bearer"] = value.strip()
        return credentials
    session = g.get("staff_session")
    if session is not None and not session.detached and session.user_id is not None:
        credentials["staff_session"] = {"staff_id": session.user_id, "mfa": bool(session.get("mfa")),
                                        "must_enrol": bool(session.get("must_enrol"))}
    return credentials


async def current_actor() -> dict | None:
    """The actor of this request (resolved once per request)."""
    if "actor_resolved" not in g:
        g.actor_resolved = True
        g.actor = await resolve_actor(current_app.runtime, request_credentials(), request)
    return g.get("actor")


def require_permission(permission: str) -> Callable:
    """Guard a JSON admin route: 401 without valid credentials, 403 without
    ``permission`` (or while a staff member still has to set up two-factor)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any):
            actor = await current_actor()
            if actor is None:
                raise Problem(401, "Unauthorized", "A valid API token is required (Authorization: Bearer ...).")
            if actor.get("must_enrol"):
                raise Problem(403, "Forbidden", "Set up two-factor sign-in first (/admin/account/2fa).")
            if not actor_has(actor, permission):
                raise Problem(403, "Forbidden", f"This action needs the {permission!r} permission.")
            g.actor = actor
            return await view(*args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return decorate
