"""The OpenID Connect client: discovery, the authorization URL (with state,
nonce and PKCE), the code exchange (authlib) and ID token verification
(joserfc: signature against the provider's JWKS, then ``iss``, ``aud``,
``exp``, ``iat`` and ``nonce``)."""
from __future__ import annotations

import hmac
import time
import warnings
from typing import Any

import httpx
import authlib.deprecate  # noqa: F401  imported first: it installs an "always" filter we must come after
from authlib.common.security import generate_token

with warnings.catch_warnings():  # authlib 1.9 prefers "httpx2" and falls back to httpx with a warning
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from engine.sdk import LoginFailed

from shopwright_auth_oidc.settings import OidcSettings

DISCOVERY_TTL_SECONDS = 300
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
_discovery: dict[str, tuple[float, dict]] = {}
_jwks: dict[str, tuple[float, dict]] = {}


async def _get_json(url: str, timeout: float) -> dict:
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise LoginFailed("The sign-in provider cannot be reached. Try again later.") from exc


async def discovery(settings: OidcSettings) -> dict:
    """The provider's metadata (cached for five minutes)."""
    cached = _discovery.get(settings.issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    document = await _get_json(f"{settings.issuer}/.well-known/openid-configuration", settings.timeout_seconds)
    if document.get("issuer", "").rstrip("/") != settings.issuer:
        raise LoginFailed("The sign-in provider is misconfigured (issuer mismatch).")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise LoginFailed(f"The sign-in provider is misconfigured (no {key}).")
    _discovery[settings.issuer] = (time.monotonic(), document)
    return document


async def keys(settings: OidcSettings, uri: str, refresh: bool = False) -> KeySet:
    cached = _jwks.get(uri)
    if refresh or not cached or time.monotonic() - cached[0] > DISCOVERY_TTL_SECONDS:
        cached = (time.monotonic(), await _get_json(uri, settings.timeout_seconds))
        _jwks[uri] = cached
    try:
        return KeySet.import_key_set(cached[1])
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise LoginFailed("The sign-in provider's keys cannot be read.") from exc


def _client(settings: OidcSettings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(client_id=settings.client_id, client_secret=settings.client_secret or None,
                             scope=settings.scopes, redirect_uri=redirect_uri, code_challenge_method="S256",
                             timeout=settings.timeout_seconds)


async def authorization_url(settings: OidcSettings, flow: dict) -> str:
    """The URL to send the shopper to; adds ``state``, ``nonce`` and the
    PKCE ``code_verifier`` to ``flow`` (kept in the server-side session)."""
    metadata = await discovery(settings)
    flow.update(state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(64))
    async with _client(settings, flow["redirect_uri"]) as client:
        url, _ = client.create_authorization_url(metadata["authorization_endpoint"], state=flow["state"],
                                                 code_verifier=flow["code_verifier"], nonce=flow["nonce"])
    return url


async def verify_id_token(settings: OidcSettings, metadata: dict, id_token: str, nonce: str) -> dict[str, Any]:
    key_set = await keys(settings, metadata["jwks_uri"])
    try:
        try:
            token = jwt.decode(id_token, key_set, algorithms=ALGORITHMS)
        except JoseError:  # keys rotated since we cached them: fetch once more
            token = jwt.decode(id_token, await keys(settings, metadata["jwks_uri"], refresh=True),
                               algorithms=ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": settings.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": settings.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise LoginFailed("The sign-in could not be verified.") from exc
    claims = dict(token.claims)
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != settings.client_id:
        raise LoginFailed("The sign-in could not be verified.")
    return claims


async def complete(settings: OidcSettings, args: Any, flow: dict) -> dict[str, Any]:
    """Check the callback against ``flow``, exchange the code and verify the
    ID token; returns the identity for the core."""
    if args.get("error"):
        raise LoginFailed("The sign-in was cancelled or refused by the provider.")
    state = str(args.get("state", ""))
    if not state or not hmac.compare_digest(state, str(flow.get("state", ""))):
        raise LoginFailed("This sign-in attempt does not match the one started here. Try again.")
    code = args.get("code")
    if not code:
        raise LoginFailed("The provider sent no authorization code.")
    metadata = await discovery(settings)
    try:
        async with _client(settings, flow["redirect_uri"]) as client:
            token = await client.fetch_token(metadata["token_endpoint"], code=code,
                                             code_verifier=flow["code_verifier"], redirect_uri=flow["redirect_uri"])
    except Exception as exc:  # authlib raises OAuthError and httpx errors
        raise LoginFailed("The sign-in could not be completed with the provider.") from exc
    id_token = token.get("id_token")
    if not id_token:
        raise LoginFailed("The provider sent no ID token.")
    claims = await verify_id_token(settings, metadata, id_token, flow["nonce"])
    return {"issuer": settings.issuer, "subject": str(claims["sub"]), "email": claims.get("email") or "",
            "email_verified": claims.get("email_verified") is True, "name": claims.get("name") or ""}
