"""Auth hooks: how people sign in and who the current user is."""
from __future__ import annotations

from engine import hookspec


@hookspec
def auth_login_methods():
    """Ways to sign in offered on the login pages.

    Collect-all; sync; returns a list of :class:`engine.protocols.LoginMethod`.
    Request hook: fast, no network. The core's password login is itself a
    default plugin, so a plugin may sit beside it or the merchant may disable it.
    """


@hookspec(firstresult=True)
def auth_resolve_actor(request, credentials):
    """Resolve who makes a request from ``credentials`` (a dict with e.g.
    ``{"bearer": "..."}`` or ``{"session": {...}}``).

    Firstresult: stops at the first non-None result; may be async. Request hook
    under the hook deadline. Returns a dict ``{"kind": "staff"|"customer"|"token",
    "id": ..., "permissions": set[str]}`` or None when this plugin does not
    recognise the credentials.
    """
