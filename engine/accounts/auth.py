"""Who makes a request (``auth_*`` call sites) and the permission guard for
admin routes.

Every admin view declares its permission with :func:`require_permission`
(JSON API) or :func:`engine.admin.guard.staff_page` (HTML pages); the
declaration is kept on the view function (``required_permission``) so the
deny-by-default guard (:mod:`engine.admin.guard`) and the tests can find any
admin route that lacks one.

Credentials, in order: ``Authorization: Bearer <token>`` (an admin API
token; the session cookie is then ignored), else the staff session of the
admin paths (``{"staff_session": {...}}``). The ``auth_resolve_actor`` hook
turns them into an actor dict; the core's implementation lives in
``engine.defaults.core_auth``.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, Protocol, runtime_checkable

from quart import current_app, g, request

from engine.admin.registry import actor_has
from engine.api.problems import Problem
from engine.plugins import HookError
from engine.protocols import LoginMethod


@runtime_checkable
class RedirectLoginMethod(Protocol):
    """A :class:`~engine.protocols.LoginMethod` that signs shoppers in
    elsewhere (OpenID Connect, ...), in two steps run by the core:

    - ``begin(request, flow)``: return the URL to send the shopper to.
      ``flow`` is a dict kept in the shopper's server-side session until the
      callback: it holds ``redirect_uri`` (where the provider must send the
      shopper back: ``/account/login/<id>/callback``); the method adds what it
      must check later (state, nonce, PKCE verifier).
    - ``complete(request, flow)``: called on the callback with the same
      ``flow``; verify everything and return the identity, a dict with
      ``issuer``, ``subject`` (stable per user), ``email``,
      ``email_verified`` (bool) and optionally ``name``; raise
      :class:`LoginFailed` with a message for the shopper otherwise.

    The core then links the identity to a customer (by a stored link, else a
    verified e-mail address), creates the customer when needed and signs
    them in (rotating the session).
    """

    id: str
    title: str

    async def begin(self, request: Any, flow: dict) -> str | None: ...

    async def complete(self, request: Any, flow: dict) -> dict: ...


class LoginFailed(Exception):
    """An external sign-in failed; ``str(exc)`` is shown to the shopper."""


async def login_methods(runtime) -> list[tuple[str, LoginMethod]]:
    methods = []
    for plugin, items in await runtime.host.call_each("auth_login_methods"):
        for method in items:
            if not isinstance(method, LoginMethod):
                raise HookError(plugin, "auth_login_methods", f"{method!r} does not implement LoginMethod")
            methods.append((plugin, method))
    return methods


def is_redirect_method(method: Any) -> bool:
    return callable(getattr(method, "complete", None)) and callable(getattr(method, "begin", None))


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


async def resolve_actor(runtime, credentials: dict[str, Any]) -> dict | None:
    if not credentials:
        return None
    return await runtime.host.first(
        "auth_resolve_actor", runtime.settings.plugins.hook_deadline_seconds, request=request, credentials=credentials
    )


async def current_actor() -> dict | None:
    """The actor of this request (resolved once per request)."""
    if "actor_resolved" not in g:
        g.actor_resolved = True
        g.actor = await resolve_actor(current_app.runtime, request_credentials())
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
