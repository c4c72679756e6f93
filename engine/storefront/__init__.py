"""The storefront: themed HTML pages over the catalog services.

:func:`install` wires it into an app: the per-process theme state
(``app.theme_state``), the theme static/preview routes, the storefront and
account routes, and the themed 404 and small pages (:mod:`engine.web.pages`)
for every path outside the JSON API and the admin.
"""
from __future__ import annotations

from pathlib import Path

from quart import Quart, request, url_for
from werkzeug.exceptions import NotFound

from engine.web.problems import problem_response

#: Paths whose 404 is not a storefront page.
NON_HTML_PREFIXES = ("/api/", "/webhooks/", "/static/", "/openapi.json", "/docs")


def install(app: Quart, overrides_dir: Path | None = None) -> None:
    from engine.cache.responses import CSRF_MARKER
    from engine.catalog import services as catalog
    from engine.storefront import account, catalog_media, rendering, seo, theme_files, views
    from engine.themes.state import DEFAULT_OVERRIDES, ThemeState
    from engine.web import caching as cache_web
    from engine.web import pages

    state = ThemeState(app.runtime, overrides_dir if overrides_dir is not None else DEFAULT_OVERRIDES)
    state.filters.update(money=rendering.money_filter, query_without=rendering.query_without)
    state.globals.update(format_money=rendering.format_money, csrf_token=rendering.csrf_token,
                         url_for=url_for, store=app.settings.store,
                         canonical_url=lambda path=None: seo.absolute(path or request.path),
                         country_options=rendering.country_options, tax_note=rendering.tax_note,
                         region_options=rendering.region_options,
                         mail_enabled=bool(app.settings.mail.smtp_host))  # no "e-mail sent" without a mail server
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
        app.cache_minters[CSRF_MARKER] = getattr(recorded, "unwrapped", token)
        # The fast path mints tokens itself only when they are the core's own.
        app.cache_csrf_stateless = app.cache_minters[CSRF_MARKER] is rendering.csrf_token

    async def unavailable_page(status: int, title: str, message: str):
        return await rendering.render("unavailable.html", status=status, feature=title, reason=message,
                                      categories=await catalog.category_tree())

    pages.register(app, lambda: True, unavailable_page)
    app.register_blueprint(account.blueprint)
    app.register_blueprint(theme_files.blueprint)
    app.register_blueprint(catalog_media.blueprint)
    app.register_blueprint(seo.blueprint)
    app.register_blueprint(views.blueprint)

    async def _not_found(exc: NotFound):
        if request.path.startswith(NON_HTML_PREFIXES):
            if request.path.startswith(("/api/", "/webhooks/")):
                return problem_response(404, exc.name, exc.description or "")
            return exc
        return await views.not_found_page()

    app.register_error_handler(404, _not_found)
