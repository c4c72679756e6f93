"""Who makes a request (``auth_*`` call sites) and the permission guard for
admin routes. Every admin view declares its permission with
:func:`require_permission`; the declaration is kept on the view function
(``required_permission``) so tests can enumerate admin routes and find any
that lacks one."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from quart import current_app, g, request

from engine.admin.registry import actor_has
from engine.api.problems import Problem
from engine.protocols import LoginMethod
from engine.plugins import HookError


async def login_methods(runtime) -> list[tuple[str, LoginMethod]]:
    methods = []
    for plugin, items in await runtime.host.call_each("auth_login_methods"):
        for method in items:
            if not isinstance(method, LoginMethod):
                raise HookError(plugin, "auth_login_methods", f"{method!r} does not implement LoginMethod")
            methods.append((plugin, method))
    return methods


def request_credentials() -> dict[str, Any]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    credentials: dict[str, Any] = {}
    if scheme.lower() == "bearer" and value.strip():
        credentials["bearer"] = value.strip()
    return credentials


async def resolve_actor(runtime, credentials: dict[str, Any]) -> dict | None:
    if not credentials:
        return None
    return await runtime.host.first(
        "auth_resolve_actor", runtime.settings.plugins.hook_deadline_seconds, request=request, credentials=credentials
    )


def require_permission(permission: str) -> Callable:
    """Guard a route: 401 without valid credentials, 403 without ``permission``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any):
            actor = await resolve_actor(current_app.runtime, request_credentials())
            if actor is None:
                raise Problem(401, "Unauthorized", "A valid API token is required (Authorization: Bearer ...).")
            if not actor_has(actor, permission):
                raise Problem(403, "Forbidden", f"This action needs the {permission!r} permission.")
            g.actor = actor
            return await view(*args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return decorate
