"""Security headers on every response, and one Content-Security-Policy.

Every response gets ``X-Content-Type-Options``, ``X-Frame-Options``,
``Referrer-Policy``, ``Permissions-Policy`` (see :mod:`engine.http`),
``Cross-Origin-Opener-Policy`` and, over HTTPS, ``Strict-Transport-Security``.

The policy is built in one place, :func:`engine.storefront.rendering.csp_header`
(the base policy plus sources added by plugins through ``theme_csp_sources``),
with a fresh nonce per response: storefront pages, account pages and admin
pages all carry it. Any other HTML response (an error page from a plugin,
for instance) gets the same policy with a nonce nobody knows, so it runs no
inline script; non-HTML responses get ``default-src 'none'``. The API
browser at ``/docs`` (Swagger UI from a CDN, an inline bootstrap script) is
the one documented exception.
"""
from __future__ import annotations

import secrets

import structlog
from quart import Quart, g, request

from engine.security import client

log = structlog.get_logger("shopwright.security")

NON_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: Paths answered without a policy (documented in docs/security.md).
NO_POLICY_PATHS = ("/docs",)


def nonce() -> str:
    """The request's CSP nonce (one per response)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def policy_for(nonce_value: str) -> str:
    from engine.storefront.rendering import csp_header

    return csp_header(nonce_value)


def install(app: Quart) -> None:
    @app.after_request
    async def _security_headers(response):
        security = app.settings.security
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if security.hsts_seconds and client.is_https():
            response.headers.setdefault("Strict-Transport-Security", f"max-age={security.hsts_seconds}")
        if "Content-Security-Policy" not in response.headers and request.path not in NO_POLICY_PATHS:
            if response.mimetype == "text/html":
                try:
                    response.headers["Content-Security-Policy"] = policy_for(secrets.token_urlsafe(18))
                except Exception as exc:  # a failing plugin hook must not leave the page without one
                    log.warning("csp.fallback", error=repr(exc))
                    response.headers["Content-Security-Policy"] = (
                        "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
                        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
            else:
                response.headers["Content-Security-Policy"] = NON_HTML_POLICY
        return response
