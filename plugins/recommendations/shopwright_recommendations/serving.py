"""The request path: read the stored lists and keep what may be shown.

No model computation happens here (only :mod:`shopwright_recommendations.training`
calls :mod:`shopwright_recommendations.models`). Three reads: the product's
row (or, for a product trained before it existed, the shop's best sellers),
the candidates through ``sdk.products_by_id`` (published only), and for the
cart its SKUs' products. A candidate is shown only when it is published,
has a variant in stock, is not the product itself and is not in the cart.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from engine import sdk

from shopwright_recommendations.tables import CategoryBestSellers, ProductRecommendations

MAX_CART_SKUS = 100


@dataclass(frozen=True)
class Shown:
    also_bought: tuple[Any, ...]
    similar: tuple[Any, ...]


async def _stored(product_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """Both lists of these products interleaved (one product's lists for a
    product page; the cart's products together for the cart)."""
    rows = await ProductRecommendations.select(ProductRecommendations.product_id, ProductRecommendations.also_bought,
                                               ProductRecommendations.similar).where(
        ProductRecommendations.product_id.is_in(list(product_ids)))
    if not rows:
        shop = await CategoryBestSellers.select(CategoryBestSellers.products).where(
            CategoryBestSellers.category == "").first()
        ranked = json.loads(shop["products"]) if shop else []
        return ranked, []
    by_id = {row["product_id"]: row for row in rows}
    ordered = [by_id[p] for p in product_ids if p in by_id]
    return (_interleave(json.loads(row["also_bought"]) for row in ordered),
            _interleave(json.loads(row["similar"]) for row in ordered))


def _interleave(lists: Iterable[list[int]]) -> list[int]:
    lists = list(lists)
    result: list[int] = []
    for position in range(max((len(each) for each in lists), default=0)):
        for each in lists:
            if position < len(each) and each[position] not in result:
                result.append(each[position])
    return result


async def recommend(runtime: Any, *, product_id: int | None, cart_skus: Sequence[str], shown: int) -> Shown:
    """What to show for a product page (``product_id``) or a cart (its SKUs)."""
    in_cart: set[int] = set()
    if cart_skus:
        variants = await sdk.variants(runtime, list(dict.fromkeys(cart_skus))[:MAX_CART_SKUS],
                                      include_unpublished=True)
        in_cart = {variant.product_id for variant in variants.values()}
    asking = [product_id] if product_id is not None else sorted(in_cart)
    if not asking:
        return Shown((), ())
    also_bought, similar = await _stored(asking)
    excluded = in_cart | set(asking)
    candidates = list(dict.fromkeys(p for p in [*also_bought, *similar] if p not in excluded))[:200]
    usable = {product.id: product for product in await sdk.products_by_id(runtime, candidates)
              if any(variant.available > 0 for variant in product.variants)}
    first = [usable[p] for p in also_bought if p in usable][:shown]
    taken = {product.id for product in first}
    second = [usable[p] for p in similar if p in usable and p not in taken][:shown]
    return Shown(tuple(first), tuple(second))


def as_json(product: Any) -> dict[str, Any]:
    """A recommended product for the JSON API."""
    prices = [variant.price for variant in product.variants if variant.available > 0]
    cheapest = min(prices, key=lambda money: money.amount)
    return {"slug": product.slug, "title": product.title, "url": f"/p/{product.slug}",
            "price_from": {"amount": cheapest.amount, "currency": cheapest.currency},
            "image": product.images[0]["url"] if product.images else None}
