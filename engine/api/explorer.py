"""The API browser's assets, served from the ``swagger-ui-bundle`` package.

``/docs`` (quart-schema's Swagger UI page) loads its script and style sheet
from ``/docs/assets/...`` instead of a CDN, so the browser works on a shop
without internet access and loads nothing from a third party. Only the files
the page needs are served.
"""
from __future__ import annotations

from quart import Blueprint, Quart, abort, send_file
from swagger_ui_bundle import swagger_ui_path

blueprint = Blueprint("api_explorer", __name__)

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
PREFIX = "/docs/assets/"


def install(app: Quart) -> None:
    """Serve the assets and point quart-schema's page at them."""
    app.config["QUART_SCHEMA_SWAGGER_JS_URL"] = PREFIX + "swagger-ui-bundle.js"
    app.config["QUART_SCHEMA_SWAGGER_CSS_URL"] = PREFIX + "swagger-ui.css"
    app.register_blueprint(blueprint)


@blueprint.get(PREFIX + "<name>")
async def asset(name: str):
    if name not in ASSETS:
        abort(404)
    response = await send_file(swagger_ui_path / name, mimetype=ASSETS[name])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
