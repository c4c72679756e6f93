"""The ``auth_oidc`` plugin: offers "Sign in with ..." on the shopper's
sign-in page once ``issuer`` and ``client_id`` are configured. The core runs
the redirect and callback routes (``/account/login/oidc`` and
``/account/login/oidc/callback``) and signs the customer in; this plugin
builds the authorization URL and verifies the provider's answer."""
from __future__ import annotations

from engine import PluginManifest, hookimpl

from shopwright_auth_oidc.settings import OidcSettings

MANIFEST = PluginManifest(
    name="auth_oidc",
    title="OpenID Connect sign-in",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Shoppers sign in with an OpenID Connect provider (authorization code flow with PKCE).",
    settings=OidcSettings,
)


class OidcLogin:
    """A redirect login method (see ``engine.sdk.RedirectLoginMethod``)."""

    id = "oidc"

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self.title = settings.title

    async def begin(self, request, flow: dict | None = None) -> str | None:
        if flow is None:
            return None
        from shopwright_auth_oidc import provider  # authlib and joserfc: loaded on first use

        return await provider.authorization_url(self.settings, flow)

    async def complete(self, request, flow: dict) -> dict:
        from shopwright_auth_oidc import provider

        return await provider.complete(self.settings, request.args, flow)


@hookimpl
def auth_login_methods(settings):
    if settings is None or not settings.configured:
        return []
    return [OidcLogin(settings)]
