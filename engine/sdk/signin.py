"""For login-method plugins (``auth_login_methods``): a method that sends the
shopper to a provider implements :class:`RedirectLoginMethod` (``begin`` and
``complete``); ``complete`` raises :class:`LoginFailed` with a message for the
shopper when the sign-in must not happen. Example::

    class Provider:
        id, title = "acme", "Sign in with Acme"

        async def begin(self, request, flow):
            flow["state"] = secrets.token_urlsafe(16)
            return f"https://id.acme.example/authorize?state={flow['state']}&redirect_uri={flow['redirect_uri']}"

        async def complete(self, request, flow):
            if request.args.get("state") != flow.get("state"):
                raise sdk.LoginFailed("The sign-in expired; try again.")
            return {"issuer": "https://id.acme.example", "subject": "...", "email": "...", "email_verified": True}
"""
from __future__ import annotations

from engine.accounts.auth import LoginFailed, RedirectLoginMethod

__all__ = ["LoginFailed", "RedirectLoginMethod"]
