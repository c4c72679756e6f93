"""``GET /media/catalog/<sha256>.<ext>``: a product image uploaded in the admin
(:mod:`engine.catalog.images`). Named by its content, so cached for a year."""
from __future__ import annotations

from quart import Blueprint, Response, abort, current_app

from engine.catalog.images import load_image
from engine.themes.assets import LONG_CACHE

blueprint = Blueprint("catalog_media", __name__)


@blueprint.get("/media/catalog/<name>")
async def product_image(name: str):
    found = load_image(current_app.settings, name)
    if found is None:
        abort(404)
    content_type, data = found
    response = Response(data, content_type=content_type)
    response.headers["Cache-Control"] = LONG_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
