"""Security headers on every response, and one Content-Security-Policy.

Every response gets ``X-Content-Type-Options``, ``X-Frame-Options``,
``Referrer-Policy``, ``Permissions-Policy``, ``Cross-Origin-Opener-Policy`` and, over HTTPS, ``Strict-Transport-Security``.

The policy is built in one place, :func:`csp_header`
(the base policy plus sources added by plugins through ``theme_csp_sources``,
and on a storefront page the sources its ``storefront_assets`` need),
with a fresh nonce per response: storefront pages, account pages and admin
pages all carry it. Any other HTML response (an error page from a plugin,
for instance) gets the same policy with a nonce nobody knows, so it runs no
inline script; non-HTML responses get ``default-src 'none'``. The API
browser at ``/docs`` (Swagger UI served from ``/docs/assets``, an inline bootstrap script) is
the one documented exception.
"""
from __future__ import annotations

import re
import secrets
from typing import Mapping, Sequence

import structlog
from quart import Quart, current_app, g, request

from engine.web import client

log = structlog.get_logger("shopwright.security")

BASE_CSP = {
    "default-src": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
}
_SOURCE = re.compile(r"^[A-Za-z0-9*][A-Za-z0-9:/._*+=\-]*$|^'(self|none|strict-dynamic|unsafe-eval|wasm-unsafe-eval)'$")
_DIRECTIVE = re.compile(r"^[a-z-]+$")
NON_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: Paths answered without a policy (documented in docs/security.md).
NO_POLICY_PATHS = ("/docs",)


async def csp_header(nonce: str, page_sources: Mapping[str, Sequence[str]] | None = None) -> str:
    """The Content-Security-Policy of an HTML response whose inline scripts
    and styles carry ``nonce``: :data:`BASE_CSP` plus what plugins add through
    ``theme_csp_sources`` (a request hook: a plugin that fails adds nothing)
    and, for this page only, ``page_sources`` (the sources of the page's
    ``storefront_assets``). Malformed directives and sources are logged and
    dropped."""
    directives = {name: list(sources) for name, sources in BASE_CSP.items()}
    directives["script-src"].append(f"'nonce-{nonce}'")
    directives["style-src"].append(f"'nonce-{nonce}'")
    additions = list(await current_app.runtime.host.hook("theme_csp_sources", accept=_sources))
    if page_sources:
        additions.append(("storefront_assets", page_sources))
    for plugin, extra in additions:
        for directive, sources in (extra or {}).items():
            if not _DIRECTIVE.match(str(directive)):
                log.warning("csp.bad_directive", plugin=plugin, directive=directive)
                continue
            for source in sources:
                if not _SOURCE.match(str(source)):
                    log.warning("csp.bad_source", plugin=plugin, directive=directive, source=source)
                    continue
                bucket = directives.setdefault(directive, [])
                if source not in bucket:
                    bucket.append(source)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _sources(plugin: str, extra):
    if not isinstance(extra, dict):
        raise TypeError(f"returned {extra!r}, not a dict of directive -> sources")
    return extra


def nonce() -> str:
    """The request's CSP nonce (one per response)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


_DEFAULT_HEADERS = (("Cross-Origin-Opener-Policy", "same-origin"), ("X-Content-Type-Options", "nosniff"),
                    ("X-Frame-Options", "DENY"), ("Referrer-Policy", "strict-origin-when-cross-origin"),
                    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))


def install(app: Quart) -> None:
    @app.after_request
    async def _security_headers(response):
        security = app.settings.security
        # Names looked up in a set: werkzeug's lookup of a header the response
        # lacks raises and catches an exception (setdefault, ``in``) each time.
        present = {key.lower() for key in response.headers.keys()}
        for name, value in _DEFAULT_HEADERS:
            if name.lower() not in present:
                response.headers.add(name, value)
        if security.hsts_seconds and "strict-transport-security" not in present and client.is_https():
            response.headers.add("Strict-Transport-Security", f"max-age={security.hsts_seconds}")
        if "content-security-policy" not in present and request.path not in NO_POLICY_PATHS:
            if response.mimetype == "text/html":
                try:
                    response.headers["Content-Security-Policy"] = await csp_header(secrets.token_urlsafe(18))
                except Exception as exc:  # a failing plugin hook must not leave the page without one
                    log.warning("csp.fallback", error=repr(exc))
                    response.headers["Content-Security-Policy"] = (
                        "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
                        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
            else:
                response.headers["Content-Security-Policy"] = NON_HTML_POLICY
        return response
