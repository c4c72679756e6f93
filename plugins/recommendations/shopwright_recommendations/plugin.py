"""The recommendations plugin: "customers also bought" and "similar products"
on the product and cart pages (the ``storefront_blocks`` slot) and as JSON,
trained by a cron job in the worker. Thin hookimpls only."""
from __future__ import annotations

from pathlib import Path

from engine import PluginManifest, hookimpl, sdk
from engine.protocols import JobDefinition

from shopwright_recommendations import api, serving, training
from shopwright_recommendations.commands import recommendations
from shopwright_recommendations.settings import RecommendationSettings

HERE = Path(__file__).parent

MANIFEST = PluginManifest(
    name="recommendations",
    title="Recommendations",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Customers also bought and similar products, learnt from the shop's own orders and catalog.",
    settings=RecommendationSettings,
    piccolo_app="shopwright_recommendations.piccolo_app",
    templates=HERE / "templates",
    static=HERE / "static",
)


@hookimpl
def jobs_register(settings):
    hours = set(range(0, 24, settings.train_every_hours))
    return [JobDefinition(name="recommendations.train", func=training.train_job,
                          cron={"hour": hours, "minute": {17}})]


@hookimpl
async def storefront_blocks(page, settings, runtime):
    if page.page not in ("product", "cart"):
        return None
    shown = await serving.recommend(runtime, product_id=page.product_id, cart_skus=page.cart_skus,
                                    shown=settings.shown)
    if not shown.also_bought and not shown.similar:
        return None
    return [sdk.StorefrontBlock("recommendations/block.html", {"recommended": shown, "on_page": page.page})]


@hookimpl
def storefront_assets(page, settings):
    return [sdk.style(static="css/recommendations.css", pages=("product", "cart"))]


@hookimpl
def lifecycle_blueprints():
    return [api.blueprint]


@hookimpl
def cli_commands():
    return [recommendations]
