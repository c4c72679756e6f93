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
    from engine.storefront import rendering, views
    from engine.storefront.cache import FACETS_TTL_SECONDS, TTLCache
    from engine.themes import web
    from engine.themes.state import DEFAULT_OVERRIDES, ThemeState

    state = ThemeState(app.runtime, overrides_dir if overrides_dir is not None else DEFAULT_OVERRIDES)
    state.filters.update(money=rendering.money_filter, query_without=rendering.query_without)
    state.globals.update(format_money=rendering.format_money, csrf_token=rendering.csrf_token,
                         url_for=url_for, store=app.settings.store)
    app.theme_state = state
    app.storefront_cache = TTLCache(FACETS_TTL_SECONDS)
    app.register_blueprint(web.blueprint)
    app.register_blueprint(views.blueprint)

    async def _not_found(exc: NotFound):
        if request.path.startswith(NON_HTML_PREFIXES):
            if request.path.startswith(("/api/", "/webhooks/")):
                return problem_response(404, exc.name, exc.description or "")
            return exc
        return await views.not_found_page()

    app.register_error_handler(404, _not_found)
