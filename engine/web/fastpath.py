"""The fast path: cached answers to plain anonymous GETs, served before Quart.

Most of a cached response's cost is the framework around it: the request
context, routing, a dozen before/after-request hooks (request ids, sessions,
CSRF, rate limits, CORS, security headers, metrics). For the commonest request
of a shop — a ``GET`` of a catalog page or of the public catalog API, with no
cookie, no credentials, no ``Origin`` and no conditional header — all of
those give the same result every time, so this ASGI middleware answers such a
request straight from the response cache when it holds a *complete* entry:

- the entry was stored by the ordinary path (:mod:`engine.web.caching`) for the
  same scheme, forwarded scheme, host, path and query string
  (:func:`engine.cache.responses.response_key`), under the current change
  counters (read as for any request, after bringing the plugin host and theme
  state up to them);
- the ordinary path served that entry to an identical request and this
  middleware recorded the final headers Quart sent (security headers,
  ``Vary``, CORS, ETag, ...) — minus the per-request ones;
- its only per-response secrets are the CSP nonce and, perhaps, the CSRF
  token of a visitor without a session: such a visitor's session is just a
  CSRF seed in the ``a.<seed>`` cookie, nothing stored on the server
  (:mod:`engine.web.sessions`), so the fast path makes a new seed, the
  token that goes with it (:func:`engine.web.csrf.token_for_seed`) and
  the cookie exactly as the ordinary path would.

The answer is those headers with a fresh CSP nonce (in the body and the
policy), a request id (``X-Request-ID``, the client's when valid) and
``X-Cache: hit``; the request is counted in the metrics and written to the
access log like any other. Anything else — cookies, ``Authorization``,
``Origin``, ``If-None-Match``, a ``HEAD``, an incomplete or stale entry, an
API request over its client address's rate limit — goes through Quart
unchanged. An API request answered here is counted against its address's
rate limit (:mod:`engine.web.ratelimit`) and carries the ``RateLimit-*``
headers like any other. ``cache.fast_path = false`` turns it off.
"""
from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

import structlog

from engine.cache.counters import page_deps
from engine.cache.responses import CSRF_MARKER, HEADER, KIND, NONCE_MARKER, CachedResponse, response_key
from engine.web.caching import GENERATION_KEY, SERVED_KEY, STORED_KEY
from engine.web.client import address
from engine.web.csrf import token_for_seed
from engine.web.ratelimit import check_address
from engine.web.sessions import SHOP

log = structlog.get_logger("shopwright.http")

#: request headers that send a request through Quart
_PERSONAL = frozenset({b"cookie", b"authorization", b"origin", b"if-none-match", b"if-modified-since",
                       b"access-control-request-method"})
#: response headers not kept in a complete entry (made per response)
_PER_RESPONSE = frozenset({b"x-request-id", b"content-length", b"date", b"server", HEADER.lower().encode(),
                           b"ratelimit-limit", b"ratelimit-remaining", b"retry-after"})


def _request_id(incoming: bytes | None) -> str:
    from engine.web.requests import _REQUEST_ID

    if incoming:
        text = incoming.decode("latin-1")
        if _REQUEST_ID.match(text):
            return text
    return uuid.uuid4().hex


class FastPath:
    """ASGI middleware in front of the Quart app (``app.asgi_app``)."""

    def __init__(self, app: Any, inner: Any) -> None:
        self.app = app
        self.inner = inner
        self.settings = app.settings
        self.log_requests = app.settings.logging.level in ("DEBUG", "INFO")
        self.secret_key = app.settings.secret_key
        self.trusted_proxies = app.settings.security.trusted_proxies
        self._metrics: dict[str, tuple[Any, Any]] = {}

    def eligible(self, scope: dict) -> dict[bytes, bytes] | None:
        """The request's headers when it may be answered here, else None."""
        if scope["type"] != "http" or scope["method"] != "GET" or not self.settings.cache.enabled \
                or not self.settings.cache.fast_path:
            return None
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            name = name.lower()
            if name in _PERSONAL:
                return None
            headers[name] = value
        if b"preview_theme" in scope.get("query_string", b""):
            return None
        return headers

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        headers = self.eligible(scope)
        if headers is None:
            await self.inner(scope, receive, send)
            return
        started = time.perf_counter()
        app = self.app
        key = response_key(scope.get("scheme", "http"), headers.get(b"x-forwarded-proto", b""),
                           headers.get(b"host", b""), scope["path"], scope.get("query_string", b""))
        if (KIND, key) not in app.cache.memory:  # never cached here: not worth reading the counters
            await self.inner(scope, receive, send)
            return
        try:
            generation = await app.change_counters.current()
            for follower in app.cache_followers:
                await follower.follow(generation)
        except Exception as exc:  # the database is away: let the app answer (and report it)
            log.warning("cache.counters_unavailable", error=repr(exc))
            await self.inner(scope, receive, send)
            return
        entry = app.cache.memory.get((KIND, key), page_deps(generation))
        if entry is None or not entry.complete():
            scope[GENERATION_KEY] = generation  # read once per request
            await self._through_quart(scope, receive, send, key, generation)
            return
        extra: list[tuple[bytes, bytes]] = []
        if scope["path"].startswith("/api/"):
            peer = (scope.get("client") or ("<local>",))[0]  # as Quart names it
            ip = address(peer, headers.get(b"x-forwarded-for", b"").decode("latin-1"), self.trusted_proxies)
            decision = await check_address(app, ip)
            if decision is not None:
                if not decision.allowed:  # Quart refuses it, with the problem document
                    await self.inner(scope, receive, send)
                    return
                extra = [(b"ratelimit-limit", str(decision.limit).encode()),
                         (b"ratelimit-remaining", str(decision.remaining).encode())]
        await self._serve(entry, headers, scope, send, started, extra)

    async def _serve(self, entry: CachedResponse, headers: dict[bytes, bytes], scope: dict, send: Any,
                     started: float, extra: list[tuple[bytes, bytes]]) -> None:
        body, final = entry.body, entry.final
        for name, old in entry.markers.items():
            if name == NONCE_MARKER:
                new = secrets.token_urlsafe(18)
                final = [(key, value.replace(old, new)) for key, value in final]
            else:  # the CSRF token of a new anonymous session, and its cookie
                seed = secrets.token_urlsafe(24)
                new = token_for_seed(self.secret_key, SHOP, seed)
                final = [(key, value.replace(entry.seed, seed) if key == "set-cookie" else value)
                         for key, value in final]
            body = body.replace(old.encode(), new.encode())
        request_id = _request_id(headers.get(b"x-request-id"))
        raw = [(key.encode("latin-1"), value.encode("latin-1")) for key, value in final]
        raw += [(b"content-length", str(len(body)).encode()), (b"x-request-id", request_id.encode()),
                (HEADER.lower().encode(), b"hit"), *extra]
        await send({"type": "http.response.start", "status": entry.status, "headers": raw})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        elapsed = time.perf_counter() - started
        self._count(entry.route, entry.status, elapsed)
        self.app.cache.on_lookup(KIND, True)
        if self.log_requests:
            log.info("request", method="GET", path=scope["path"], status=entry.status, ms=round(elapsed * 1000, 2),
                     request_id=request_id)

    def _count(self, route: str, status: int, elapsed: float) -> None:
        children = self._metrics.get(route)
        if children is None:
            metrics = self.app.runtime.metrics
            children = self._metrics[route] = (metrics.requests.labels(route, "GET", str(status)),
                                               metrics.latency.labels(route, "GET"))
        children[0].inc()
        children[1].observe(elapsed)

    async def _through_quart(self, scope: dict, receive: Any, send: Any, key: tuple, generation: tuple) -> None:
        """Let Quart answer; when it stores an entry for this very request, or
        serves one, keep the headers it sent so the next identical request is
        served here."""
        started: dict[str, Any] = {}

        async def recording_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            await send(message)

        await self.inner(scope, receive, recording_send)
        entry: CachedResponse | None = scope.get(STORED_KEY)
        minted: dict[str, str] = {}
        if entry is None and SERVED_KEY in scope:
            entry, minted = scope[SERVED_KEY]
        if entry is None or started.get("status") != 200:
            return
        final = []
        cookies = []
        for name, value in started.get("headers", ()):
            name = bytes(name).lower()
            text = bytes(value).decode("latin-1")
            if name == b"set-cookie":
                cookies.append(text)
            if name not in _PER_RESPONSE:
                if NONCE_MARKER in minted:  # put the entry's own nonce back in the policy
                    text = text.replace(minted[NONCE_MARKER], entry.markers[NONCE_MARKER])
                final.append((name.decode("latin-1"), text))
        seed = None
        if cookies:
            seed = self._anonymous_seed(cookies, minted.get(CSRF_MARKER) or entry.markers.get(CSRF_MARKER))
            if seed is None:
                return
        entry.final, entry.seed = final, seed
        await self.app.cache.share(KIND, key, page_deps(generation), entry, self.settings.cache.page_ttl_seconds)

    def _anonymous_seed(self, cookies: list[str], token: str | None) -> str | None:
        """The CSRF seed of the one cookie the ordinary path set, when that
        cookie is an anonymous session whose token is the page's ``token``
        (and the page's tokens come from the core's ``csrf_token()``)."""
        if token is None or len(cookies) != 1 or not getattr(self.app, "cache_csrf_stateless", False):
            return None
        _, _, rest = cookies[0].partition("=")
        value = rest.split(";", 1)[0]
        if not value.startswith("a."):
            return None
        seed = value[2:]
        return seed if token_for_seed(self.secret_key, SHOP, seed) == token else None


def install(app: Any) -> None:
    """Put the fast path in front of ``app`` (after the caches are installed)."""
    app.asgi_app = FastPath(app, app.asgi_app)  # type: ignore[method-assign]
