"""create_app(settings) -> Quart app. Wires the parts together and nothing else."""
from __future__ import annotations

from typing import Any, Iterable

from quart import Quart, abort, request
from quart_schema import Info, QuartSchema

from engine import __version__, admin, api, storefront, tracing
from engine.web import audit
from engine.api import cart_owner, cors, explorer
from engine.api.openapi import ShopwrightOpenAPIProvider
from engine.storefront import cart_views
from engine.web import converters, csrf, guard, headers, inputs, ops, problems, ratelimit, requests, sessions
from engine.logs import configure_logging
from engine.runtime import Runtime
from engine.settings import Settings, load_settings


def _register_plugin_blueprints(app: Quart, runtime: Runtime) -> None:
    """Plugin blueprints are registered once, at app creation; a disabled
    plugin's routes answer 404 until it is enabled (no restart needed)."""
    owners: dict[str, str] = {}
    for plugin, blueprints in runtime.host.hook_sync("lifecycle_blueprints"):
        for blueprint in blueprints:
            owners[blueprint.name] = plugin
            app.register_blueprint(blueprint)

    @app.before_request
    async def _plugin_routes_only_when_active() -> None:
        for name in request.blueprints:
            plugin = owners.get(name)
            if plugin is not None and not runtime.host.is_active(plugin):
                abort(404)


def create_app(
    settings: Settings | None = None,
    plugins: Iterable[Any] | None = None,
    include_defaults: bool = True,
) -> Quart:
    """Build the web app. ``plugins``: exactly these plugin modules (tests), or
    None to discover installed plugins through entry points."""
    settings = settings or load_settings()
    configure_logging(settings.logging.level, settings.logging.format)
    app = Quart("engine")
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    app.settings = settings
    app.runtime = runtime = Runtime(settings, plugins=plugins, include_defaults=include_defaults)
    converters.install(app)  # before any route is added

    QuartSchema(app, info=Info(title="Shopwright API", version=__version__), swagger_ui_path="/docs",
                redoc_ui_path=None, scalar_ui_path=None, openapi_provider_class=ShopwrightOpenAPIProvider)
    explorer.install(app)
    requests.install(app)
    problems.install(app)
    cors.install(app)
    ratelimit.install(app)
    inputs.install(app)
    sessions.install(app)
    headers.install(app)
    csrf.install(app)
    cart_owner.install(app)
    guard.install(app)
    audit.install(app)
    app.register_blueprint(ops.blueprint)
    admin.install(app)
    api.install(app)
    _register_plugin_blueprints(app, runtime)
    cart_views.install(app)  # before the storefront: it answers /cart, /checkout and /orders/<number>
    storefront.install(app)
    tracing.instrument(app)  # outermost: the fast path's answers are traced too

    @app.before_serving
    async def _start() -> None:
        await runtime.start()

    @app.after_serving
    async def _stop() -> None:
        await runtime.stop()

    return app
