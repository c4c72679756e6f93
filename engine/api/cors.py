"""CORS for headless storefronts: browsers on the origins in
``api.cors_origins`` may call ``/api/``; ``["*"]`` allows any origin; the
default (empty) allows none.

- A preflight (``OPTIONS`` with ``Origin`` and
  ``Access-Control-Request-Method``) under ``/api/`` is answered here, before
  routing, authentication and rate limits: 204 with the allowed methods and
  headers when the origin is allowed, 403 (problem+json) when it is not.
- Other ``/api/`` responses to an allowed origin carry
  ``Access-Control-Allow-Origin`` and expose the headers a client needs
  (``ETag``, ``Retry-After``, ``RateLimit-*``, ``Location``, ``X-Request-ID``).

No credentials (cookies) are allowed cross-origin: a headless client holds
the cart id, the order access token or an API token itself.
"""
from __future__ import annotations

from quart import Quart, Response, request

from engine.web.problems import problem_response

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = ("authorization", "content-type", "idempotency-key", "if-none-match", "if-match",
                   "x-request-id", "accept", "accept-language")
EXPOSED_HEADERS = "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, Location, X-Request-ID"


def _allowed(origin: str, origins: list[str]) -> str | None:
    """The ``Access-Control-Allow-Origin`` value for ``origin``, or None."""
    if not origin or not origins:
        return None
    if "*" in origins:
        return "*"
    return origin if origin.rstrip("/") in origins else None


def install(app: Quart) -> None:
    settings = app.settings.api

    @app.before_request
    async def _preflight():
        if request.method != "OPTIONS" or not request.path.startswith("/api/"):
            return None
        origin = request.headers.get("Origin", "")
        if not origin or "Access-Control-Request-Method" not in request.headers:
            return None
        allow = _allowed(origin, settings.cors_origins)
        if allow is None:
            response = problem_response(403, "Origin not allowed",
                                        f"Cross-origin requests from {origin} are not allowed (api.cors_origins).")
            response.headers["Vary"] = "Origin"
            return response
        requested = [h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",")
                     if h.strip()]
        response = Response("", status=204)
        response.headers["Access-Control-Allow-Origin"] = allow
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        allowed_headers = [h for h in requested if h in ALLOWED_HEADERS] if requested else list(ALLOWED_HEADERS)
        response.headers["Access-Control-Allow-Headers"] = ", ".join(allowed_headers or ALLOWED_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(settings.cors_max_age_seconds)
        response.headers["Vary"] = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        return response

    @app.after_request
    async def _cors(response):
        if not request.path.startswith("/api/") or "Access-Control-Allow-Origin" in response.headers:
            return response
        allow = _allowed(request.headers.get("Origin", ""), settings.cors_origins)
        if settings.cors_origins and "*" not in settings.cors_origins:
            response.vary.add("Origin")
        if allow is not None:
            response.headers["Access-Control-Allow-Origin"] = allow
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response
