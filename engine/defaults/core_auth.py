"""Core authentication: password login and admin API bearer tokens."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.accounts.staff import resolve_token

MANIFEST = PluginManifest(name="core_auth", title="Password login and API tokens", version="0.1.0", core=True)


class PasswordLogin:
    """The built-in e-mail + password form (no redirect)."""

    id = "password"
    title = "E-mail and password"

    async def begin(self, request) -> str | None:
        return None


@hookimpl
def auth_login_methods():
    return [PasswordLogin()]


@hookimpl
async def auth_resolve_actor(request, credentials):
    token = credentials.get("bearer")
    if not token:
        return None
    row = await resolve_token(token)
    if row is None:
        return None
    return {"kind": "token", "id": row["id"], "name": row["name"], "permissions": set(row["scopes"].split(","))}
