"""The storefront: themed HTML pages over the catalog services.

:func:`install` wires it into an app: the per-process theme state
(``app.theme_state``), the theme static/preview routes, the storefront routes
and the themed 404 page for every path outside the JSON API.
"""
from __future__ import annotations

from pathlib import Path

from quart import Quart, request, url_for
from werkzeug.exceptions import NotFound

from engine.api.problems import problem_response

#: Paths whose 404 is not a storefront page.
NON_HTML_PREFIXES = ("/api/", "/webhooks/", "/static/", "/openapi.json", "/docs")


def install(app: Quart, overrides_dir: Path | None = None) -> None:
    from engine.cache import web as cache_web
    from engine.storefront import rendering, views
    from engine.themes import web
    from engine.themes.state import DEFAULT_OVERRIDES, ThemeState

    state = ThemeState(app.runtime, overrides_dir if overrides_dir is not None else DEFAULT_OVERRIDES)
    state.filters.update(money=rendering.money_filter, query_without=rendering.query_without)
    state.globals.update(format_money=rendering.format_money, csrf_token=rendering.csrf_token,
                         url_for=url_for, store=app.settings.store)
    app.theme_state = state
    cache_web.install(app)
    app.storefront_cache = app.cache  # the catalog reads of storefront views (``.clear()`` empties it)

    @app.before_serving
    async def _csrf_marker() -> None:
        # Whatever makes the CSRF token of a template (``csrf_token()``) also
        # records it, so a cached page gets each visitor's own token.
        token = state.globals.get("csrf_token") or rendering.csrf_token
        recorded = rendering.recording_csrf(token)
        state.globals["csrf_token"] = recorded
        app.cache_minters[cache_web.CSRF_MARKER] = getattr(recorded, "unwrapped", token)
        # The fast path mints tokens itself only when they are the core's own.
        app.cache_csrf_stateless = app.cache_minters[cache_web.CSRF_MARKER] is rendering.csrf_token
    app.register_blueprint(web.blueprint)
    app.register_blueprint(views.blueprint)

    async def _not_found(exc: NotFound):
        if request.path.startswith(NON_HTML_PREFIXES):
            if request.path.startswith(("/api/", "/webhooks/")):
                return problem_response(404, exc.name, exc.description or "")
            return exc
        return await views.not_found_page()

    app.register_error_handler(404, _not_found)
