"""Who signs in and who acts (``auth_*`` call sites).

Login methods come from the ``auth_login_methods`` hook; credentials (a
bearer token, a staff session's sign-in) become an actor through the
``auth_resolve_actor`` hook, whose core implementation lives in
``engine.defaults.core_auth``. Reading credentials off a request and guarding
routes with a permission is the HTTP layer's job (:mod:`engine.web.guard`).
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

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


def _methods(plugin: str, items: Any) -> list[LoginMethod]:
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"returned {items!r}, not a list of LoginMethod")
    for method in items:
        if not isinstance(method, LoginMethod):
            raise TypeError(f"{method!r} does not implement LoginMethod")
    return list(items)


async def login_methods(runtime) -> list[tuple[str, LoginMethod]]:
    """``(plugin, method)`` in hook order; a plugin that fails offers none."""
    answers = await runtime.host.hook("auth_login_methods", accept=_methods)
    return [(plugin, method) for plugin, items in answers for method in items]


def is_redirect_method(method: Any) -> bool:
    return callable(getattr(method, "complete", None)) and callable(getattr(method, "begin", None))


async def resolve_actor(runtime, credentials: dict[str, Any], request: Any = None) -> dict | None:
    """The actor (a dict with ``kind``, ``id``, ``permissions``, ...) that
    ``credentials`` prove, through the ``auth_resolve_actor`` hook; None
    without credentials or when no plugin accepts them."""
    if not credentials:
        return None
    return await runtime.host.hook("auth_resolve_actor", request=request, credentials=credentials)


