"""Auth hooks: how people sign in and who the current user is."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request", on_failure="skip")
def auth_login_methods(settings):
    """Ways to sign in offered on the login pages.

    Collect-all; may be async; returns a list of
    :class:`engine.protocols.LoginMethod` (``settings``: the plugin's own
    validated settings, or None). Request hook: fast, no network. The core's
    password login is itself a default plugin, so a plugin may sit beside it
    or the merchant may disable it. A method that sends the shopper elsewhere
    also has ``complete`` (see :class:`engine.accounts.auth.RedirectLoginMethod`);
    the core then offers it at ``/account/login/<id>`` and runs its callback.
    A plugin that fails, or returns something that is not a ``LoginMethod``,
    offers no method (logged, shown to staff); the other methods still work.
    """


@spec("first", "request")
def auth_resolve_actor(request, credentials):
    """Resolve who makes a request from ``credentials`` (a dict with e.g.
    ``{"bearer": "..."}`` or, on admin paths, ``{"staff_session": {"staff_id",
    "mfa", "must_enrol"}}``).

    Firstresult: stops at the first non-None result; may be async. Request hook
    under the hook deadline. Returns a dict ``{"kind": "staff"|"customer"|"token",
    "id": ..., "permissions": set[str]}`` or None when this plugin does not
    recognise the credentials. Fails closed: a plugin that raises or misses
    the deadline fails the request with an error naming it; nobody is
    signed in by a failure.
    """
