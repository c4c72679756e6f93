"""``GET /api/v1/products/<slug>/recommendations`` for headless clients.

Public like the catalog API. ``?cart=SKU,SKU`` (up to 100 SKUs) leaves those
products out. Answers ``{"product", "also_bought": [...], "similar": [...]}``,
each item ``{slug, title, url, price_from: {amount, currency}, image}``; an
unknown or unpublished product is 404 ``application/problem+json``.
"""
from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from engine import sdk

from shopwright_recommendations import serving
from shopwright_recommendations.training import NAME

blueprint = Blueprint("recommendations_api", __name__)


def _problem(status: int, title: str, detail: str) -> Response:
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail})
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


@blueprint.get("/api/v1/products/<slug>/recommendations")
async def product_recommendations(slug: str):
    runtime = sdk.request_runtime()
    if len(slug) > 200:
        return _problem(404, "Not found", "There is no such product.")
    try:
        product = await sdk.product(runtime, slug)
    except sdk.InvalidInput:
        product = None
    if product is None:
        return _problem(404, "Not found", f"There is no published product {slug!r}.")
    skus = [sku.strip()[:100] for sku in request.args.get("cart", "").split(",") if sku.strip()]
    if len(skus) > serving.MAX_CART_SKUS:
        return _problem(400, "Invalid cart", f"Give at most {serving.MAX_CART_SKUS} SKUs.")
    settings = sdk.plugin_settings(runtime, NAME)
    shown = await serving.recommend(runtime, product_id=product.id, cart_skus=skus, shown=settings.shown)
    return jsonify({"product": product.slug, "also_bought": [serving.as_json(p) for p in shown.also_bought],
                    "similar": [serving.as_json(p) for p in shown.similar]})
