"""The caches in the Quart app: which requests use the response cache,
catalog reads for everybody, and the request hooks that serve and store.

The entries themselves — keys, markers, ETags, what may be stored — are
:mod:`engine.cache.responses`; this module reads the current request, app
and session for them.

Response cache
    A ``GET`` of a cacheable endpoint (:data:`CACHEABLE`: the home, category,
    product and search pages and the public catalog API) by an *anonymous*
    client — no ``Authorization`` header, no cookie other than an empty
    shopper session (and ``cache.ignore_cookies``), no theme preview — is
    answered from the cache when an entry made under the current change
    counters exists. The key is scheme, host, path and query string.

    A response is stored when :func:`engine.cache.responses.storable` allows
    it and rendering wrote nothing to the session. Per-response secrets in it
    are recorded while rendering (:func:`remember`) and replaced by fresh
    values each time the entry is served: the CSP nonce (a new one per
    response, in the body and the ``Content-Security-Policy`` header) and the
    visitor's CSRF token (minted for this visitor exactly as a fresh render
    would). So a cached page is byte-for-byte what a render would give that
    visitor. ``If-None-Match`` with a cached HTML page's ETag gets ``304``;
    the JSON API has its own ETags (:mod:`engine.api.etags`), which also
    apply to responses served from here.

    Concurrent misses of one page wait for the first render (at most
    :data:`WAIT_SECONDS`) instead of rendering it again each.

Data cache
    :func:`cached` keeps catalog reads (category tree, facets, listings,
    products) per process, valid while the counters of their scopes hold.
    It is also every request's keeper for the reads domain code keeps
    (:func:`engine.cache.reads.kept`, e.g. what the catalog search needs to
    know of a category).

Every cached thing is checked against the change counters
(:mod:`engine.cache.counters`), read once per request
(:func:`current_generation`); when the ``plugins`` or ``site`` counter
moved, the plugin host and the theme state are re-read first, so nothing is
rendered (and cached) with settings older than the counters say.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from functools import partial
from typing import Any, Awaitable, Callable, Hashable

import structlog
from quart import Quart, Response, current_app, g, request, session
from quart.wrappers.response import DataBody

from engine.cache.counters import ChangeCounters, Follower, Generation, page_deps
from engine.cache.reads import keep_with
from engine.cache.responses import (
    CSRF_MARKER,
    HEADER,
    KIND,
    NONCE_MARKER,
    CachedResponse,
    etag_matches,
    response_key,
    storable,
)
from engine.cache.store import Cache, MemoryStore, RedisLayer
from engine.system import store_profile
from engine.web.client import raw_header

log = structlog.get_logger("shopwright.cache")

#: endpoints whose GET responses are cached (they depend on every scope:
#: catalog, stock, theme and plugin settings)
CACHEABLE = frozenset({
    "storefront.home", "storefront.category", "storefront.product", "storefront.search",
    "catalog_api.list_products", "catalog_api.show_product", "catalog_api.list_categories",
})
WAIT_SECONDS = 5.0
#: ASGI scope key under which the fast path leaves the counters it read
GENERATION_KEY = "shopwright.generation"
#: ASGI scope keys under which the ordinary path leaves the entry it stored,
#: or the entry it served and the values it minted for it (``{marker: value}``)
STORED_KEY = "shopwright.cache_stored"
SERVED_KEY = "shopwright.cache_served"


# ------------------------------------------------------------------ markers
def remember(name: str, value: str) -> None:
    """Record a per-response secret that was written into the response being
    made (see the module docs); no-op outside a request."""
    with contextlib.suppress(RuntimeError):
        g.setdefault("cache_markers", {})[name] = value


def mint_value(app: Quart, marker: str) -> str:
    """A fresh value for ``marker`` in a response being served from cache."""
    return app.cache_minters[marker]()


def request_key(req: Any) -> tuple:
    """The request's :func:`~engine.cache.responses.response_key`."""
    return response_key(req.scope.get("scheme", "http"), raw_header(req, b"x-forwarded-proto") or b"",
                        raw_header(req, b"host") or b"", req.scope["path"], req.scope.get("query_string", b""))


def mint_nonce() -> str:
    """A fresh CSP nonce for this response (shared with anything else that
    asks for the request's nonce through ``g.csp_nonce``)."""
    g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


# ------------------------------------------------------------------ generation
async def current_generation() -> Generation:
    """The change counters for this request (read once per request), after
    bringing the plugin host and theme state up to them."""
    request_globals = g._get_current_object()
    generation = getattr(request_globals, "cache_generation", None)
    if generation is not None:
        return generation
    generation = request.scope.get(GENERATION_KEY)  # read (and followed) by the fast path
    if generation is None:
        app = current_app._get_current_object()
        generation = await app.change_counters.current()
        for follower in app.cache_followers:
            await follower.follow(generation)
    request_globals.cache_generation = generation
    return generation


async def cached(kind: str, key: Hashable, scopes: tuple[str, ...], load: Callable[[], Awaitable[Any]],
                 keep: bool = True) -> Any:
    """``await load()``, or its value cached under the current counters of
    ``scopes``; a loaded value is kept for the next caller unless ``keep`` is
    false. None is never cached. The value is shared: do not change it."""
    app = current_app
    if not app.settings.cache.enabled:
        return await load()
    try:
        generation = await current_generation()
    except Exception as exc:  # counters unreadable: read without the cache
        log.warning("cache.counters_unavailable", error=repr(exc))
        return await load()
    return await app.cache.get_or_load(kind, key, scopes, generation, load, keep=keep)


def response_will_be_kept() -> bool:
    """Whether the response cache means to keep this request's answer (a
    cacheable anonymous ``GET`` that it did not find): data read only for
    that answer need not be kept as well."""
    return g.get("response_cache_key") is not None


# ------------------------------------------------------------------ anonymity
def cookie_names(app: Quart) -> frozenset[str]:
    """Cookies that leave a request anonymous: the shopper session cookie
    (when its session is empty) and ``cache.ignore_cookies``."""
    names = {str(app.config.get("SESSION_COOKIE_NAME") or "session"), *app.settings.cache.ignore_cookies}
    with contextlib.suppress(ImportError, KeyError, AttributeError):
        from engine.web.sessions import COOKIES

        names.update({COOKIES["shop"], "__Host-" + COOKIES["shop"]})
    return frozenset(names)


#: query parameter that asks for a theme preview (never cached)
PREVIEW_PARAM = "preview_theme"


def anonymous(app: Quart, req: Any = None) -> bool:
    req = req if req is not None else request._get_current_object()
    if raw_header(req, b"authorization") is not None:
        return False
    if raw_header(req, b"cookie") is not None and req.cookies:
        allowed = app.cache_cookie_names
        if any(name not in allowed for name in req.cookies):
            return False
        current = session._get_current_object()
        if len(current) or getattr(current, "sid", None):
            return False
    return PREVIEW_PARAM.encode() not in req.query_string


# ------------------------------------------------------------------ serve / store
def _not_modified(etag: str, vary: str | None) -> Response:
    response = Response(b"", status=304)
    response.headers["ETag"] = etag
    if vary:
        response.headers["Vary"] = vary
    return response


def _serve(app: Quart, entry: CachedResponse, req: Any) -> Response:
    inm = raw_header(req, b"if-none-match") if entry.etag else None
    if inm and etag_matches(inm.decode("latin-1"), entry.etag):
        response = _not_modified(entry.etag, dict(entry.headers).get("Vary"))
        response.headers[HEADER] = "hit"
        return response
    minted = {name: mint_value(app, name) for name in entry.markers}
    body, headers = entry.filled(minted)
    req.scope[SERVED_KEY] = (entry, minted)  # the fast path completes it
    return Response(body, status=entry.status, headers=[*headers, (HEADER, "hit")])


def _session_untouched(markers: dict[str, str]) -> bool:
    """Rendering wrote nothing to the session but, perhaps, the CSRF token."""
    if getattr(session, "modified", False) and not (CSRF_MARKER in markers and set(session.keys()) <= {"csrf"}):
        return False
    if getattr(session, "cookie_dirty", False) and CSRF_MARKER not in markers:
        return False
    return True


async def _entry_of(app: Quart, response: Response) -> CachedResponse | None:
    if not isinstance(response.response, DataBody) or not storable(response.status_code, response.mimetype,
                                                                  response.headers):
        return None
    markers = dict(g.get("cache_markers") or {})
    if not _session_untouched(markers):
        return None
    data = await response.get_data()
    if len(data) > app.settings.cache.max_page_kb * 1024:
        return None
    route = request.url_rule.rule if request.url_rule is not None else ""
    return CachedResponse.of(data, response.mimetype, response.headers, markers, route)


def build_id(app: Quart) -> str:
    """Names the code that renders: engine, plugin and theme versions."""
    from engine import __version__

    parts = [__version__]
    parts += sorted(f"{name}={plugin.version}" for name, plugin in app.runtime.host.installed.items())
    state = getattr(app, "theme_state", None)
    if state is not None:
        parts += sorted(f"{name}={getattr(theme, 'version', '')}" for name, theme in state.themes.items())
    return hashlib.blake2b("|".join(parts).encode(), digest_size=6).hexdigest()


def memoize_ensure_async(app: Quart) -> None:
    """Quart passes every hook and view through ``ensure_async`` on every
    request, which inspects the function each time (a dozen hooks: ~50 µs a
    request). The answer for a given function never changes: remember it."""
    original = app.ensure_async
    known: dict[Any, Any] = {}

    def ensure_async(func):
        try:
            return known[func]
        except KeyError:
            result = known[func] = original(func)
            return result
        except TypeError:  # unhashable callable
            return original(func)

    app.ensure_async = ensure_async  # type: ignore[method-assign]


def install(app: Quart) -> None:
    """Wire the caches into ``app`` (after ``app.theme_state`` exists): the
    request hooks, the fast path, and the app attributes they share —
    ``app.cache`` (responses and catalog reads), ``app.change_counters``,
    ``app.cache_followers`` (the plugin host and the theme state),
    ``app.cache_minters`` (``{marker: function making a fresh value}``; the
    storefront adds the CSRF token's) and ``app.cache_cookie_names``."""
    settings = app.settings.cache
    memoize_ensure_async(app)
    memory = MemoryStore(settings.max_entries, settings.max_memory_mb * 1024 * 1024)
    redis = None
    if settings.backend == "redis":
        url = settings.redis_url or app.settings.redis_url
        if not url:
            raise RuntimeError("cache.backend = 'redis' needs cache.redis_url or redis_url")
        redis = RedisLayer(url, settings.key_prefix)
    app.cache = Cache(memory, redis, build=build_id(app), data_ttl=settings.data_ttl_seconds)
    app.cache.on_lookup = app.runtime.metrics.cache_lookup
    app.change_counters = ChangeCounters(app.runtime.database.engine, settings.check_interval_seconds)
    app.cache_followers = [Follower("plugins", app.runtime.host.refresh)]
    if getattr(app, "theme_state", None) is not None:
        app.cache_followers.append(Follower("site", app.theme_state.refresh))
    app.cache_followers.append(Follower("site", partial(store_profile.refresh, app.settings)))
    app.cache_minters = {NONCE_MARKER: mint_nonce}
    app.cache_cookie_names = cookie_names(app)
    inflight: dict[Hashable, asyncio.Future] = {}

    @app.before_request
    async def _keep_reads() -> None:
        keep_with(cached)

    async def lookup():
        req = request._get_current_object()
        if req.method != "GET" or not settings.enabled:
            return None
        if req.endpoint not in CACHEABLE or not anonymous(app, req):
            return None
        try:
            deps = page_deps(await current_generation())
        except Exception as exc:  # counters unreadable: answer without the cache
            log.warning("cache.counters_unavailable", error=repr(exc))
            return None
        key = request_key(req)
        entry = await app.cache.lookup(KIND, key, deps)
        if entry is None:
            pending = inflight.get((key, deps))
            if pending is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(pending), WAIT_SECONDS)
                entry = await app.cache.lookup(KIND, key, deps)
            if entry is None:
                if pending is None:
                    inflight[(key, deps)] = asyncio.get_running_loop().create_future()
                    g.response_cache_flight = (key, deps)
                g.response_cache_key = (key, deps)
                return None
        return _serve(app, entry, req)

    async def store(response: Response) -> Response:
        state = g.get("response_cache_key")
        if state is None:
            return response
        entry = await _entry_of(app, response)
        if entry is None:
            response.headers[HEADER] = "bypass"
            return response
        key, deps = state
        await app.cache.store(KIND, key, deps, entry, settings.page_ttl_seconds)
        request.scope[STORED_KEY] = entry  # the fast path completes it
        if entry.etag:
            response.headers["ETag"] = entry.etag
            inm = request.headers.get("If-None-Match")
            if inm and etag_matches(inm, entry.etag):
                response = _not_modified(entry.etag, response.headers.get("Vary"))
        response.headers[HEADER] = "miss"
        return response

    async def finish(exc: BaseException | None) -> None:
        flight = g.get("response_cache_flight")
        if flight is not None:
            future = inflight.pop(flight, None)
            if future is not None and not future.done():
                future.set_result(None)

    installed = False

    @app.before_serving
    async def _hooks_last() -> None:
        # The lookup runs after every other before-request hook (sessions,
        # CSRF, rate limits, plugin route checks) and the store after every
        # other after-request hook (after-request hooks run in reverse order).
        nonlocal installed
        if not installed:
            installed = True
            app.before_request_funcs.setdefault(None, []).append(lookup)
            app.after_request_funcs.setdefault(None, []).insert(0, store)
            app.teardown_request_funcs.setdefault(None, []).append(finish)
        # The runtime loads plugin state after this (its start-up hook comes
        # later), and the theme state loads on the first request: both are at
        # least as new as the counters read now.
        try:
            generation = await app.change_counters.current()
        except Exception as exc:  # not migrated yet: the first request catches up
            log.info("cache.counters_unread", error=repr(exc))
        else:
            for follower in app.cache_followers:
                follower.applied = generation[follower.index]

    @app.after_serving
    async def _close() -> None:
        await app.cache.close()

    from engine.web import fastpath

    fastpath.install(app)
