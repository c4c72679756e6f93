"""The training job: read the shop's data, run the models, replace the
stored lists in one transaction (so a reader sees the old lists or the new,
never half), and refresh cached storefront pages. Idempotent: running it
twice stores the same lists."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from engine import sdk

from shopwright_recommendations import data
from shopwright_recommendations.tables import CategoryBestSellers, ProductRecommendations

NAME = "recommendations"
#: lists are kept longer than shown: the request drops what is out of stock or in the cart
KEEP = 24


async def train(runtime: Any, settings: Any) -> dict[str, int]:
    """Train and store; answers ``{"products", "orders"}`` counted."""
    from shopwright_recommendations import models   # scipy and scikit-learn: only when training

    items = await data.catalog_items(runtime)
    baskets = await data.baskets(runtime)
    lists = models.train(baskets, items, keep=KEEP, co_weight=float(Decimal(settings.co_purchase_weight) / 100),
                         min_orders=settings.min_orders)
    await store(runtime, lists)
    return {"products": len(items), "orders": len(baskets)}


async def store(runtime: Any, lists: Any) -> None:
    """Replace every stored list with ``lists`` (a :class:`models.Lists`)."""
    now = datetime.now(timezone.utc)
    async with sdk.transaction(runtime):
        await ProductRecommendations.delete(force=True)
        await CategoryBestSellers.delete(force=True)
        rows = [ProductRecommendations(product_id=product, also_bought=json.dumps(lists.also_bought[product]),
                                       similar=json.dumps(lists.similar[product]), trained_at=now)
                for product in lists.also_bought]
        for start in range(0, len(rows), 500):
            await ProductRecommendations.insert(*rows[start:start + 500])
        sellers = [CategoryBestSellers(category=category, products=json.dumps(ranked), trained_at=now)
                   for category, ranked in lists.best_sellers.items()]
        for start in range(0, len(sellers), 500):
            await CategoryBestSellers.insert(*sellers[start:start + 500])
        await sdk.storefront_changed(runtime)   # cached product and cart pages show the new lists


async def train_job(ctx: dict[str, Any]) -> dict[str, int]:
    """The ``recommendations.train`` job (cron, and on demand)."""
    runtime = ctx["runtime"]
    return await train(runtime, sdk.plugin_settings(runtime, NAME))
