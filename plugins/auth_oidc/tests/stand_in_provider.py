"""A stand-in OpenID Connect provider for the tests, served on 127.0.0.1:
discovery, JWKS, an authorize endpoint that signs in ``next_user`` at once,
and a token endpoint that checks the client secret (HTTP Basic), the code
(single use, bound to the redirect URI) and PKCE (S256), then issues an
RS256-signed ID token with the nonce."""
from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from quart import Quart, jsonify, redirect, request


class StandInProvider:
    def __init__(self, client_id: str = "shop-client", client_secret: str = "shop-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        self.signing_key = self.key  # tests may sign with another key (a forgery)
        self.issuer = ""  # set once served
        self.next_user: dict = {"sub": "user-1", "email": "sso@example.test", "email_verified": True,
                                "name": "Sso User"}
        self.nonce_override: str | None = None
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.app = self._build()

    def _build(self) -> Quart:
        app = Quart("stand_in_oidc")
        provider = self

        @app.get("/healthz")
        async def healthz():
            return {"status": "ok"}

        @app.get("/.well-known/openid-configuration")
        async def discovery():
            return jsonify({
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token",
                "jwks_uri": f"{provider.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            })

        @app.get("/jwks")
        async def jwks():
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.get("/authorize")
        async def authorize():
            args = request.args
            if args.get("client_id") != provider.client_id or args.get("response_type") != "code":
                return jsonify({"error": "unauthorized_client"}), 400
            if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
                return jsonify({"error": "invalid_request", "error_description": "PKCE required"}), 400
            if "openid" not in args.get("scope", "").split():
                return jsonify({"error": "invalid_scope"}), 400
            code = secrets.token_urlsafe(16)
            provider.codes[code] = {"redirect_uri": args["redirect_uri"], "nonce": args.get("nonce"),
                                    "challenge": args["code_challenge"], "user": dict(provider.next_user)}
            query = urlencode({"code": code, "state": args.get("state", "")})
            return redirect(f"{args['redirect_uri']}?{query}", 302)

        @app.post("/token")
        async def token():
            form = await request.form
            provider.token_requests.append(dict(form))
            auth = request.authorization
            if auth is None or auth.username != provider.client_id or auth.password != provider.client_secret:
                return jsonify({"error": "invalid_client"}), 401
            grant = provider.codes.pop(form.get("code", ""), None)
            if form.get("grant_type") != "authorization_code" or grant is None \
                    or grant["redirect_uri"] != form.get("redirect_uri"):
                return jsonify({"error": "invalid_grant"}), 400
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if challenge != grant["challenge"]:
                return jsonify({"error": "invalid_grant", "error_description": "PKCE check failed"}), 400
            now = int(time.time())
            claims = {"iss": provider.issuer, "aud": provider.client_id, "iat": now, "exp": now + 300,
                      "nonce": provider.nonce_override or grant["nonce"], **grant["user"]}
            id_token = jwt.encode({"alg": "RS256", "kid": "key-1"}, claims, provider.signing_key)
            return jsonify({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                            "id_token": id_token})

        return app
