"""The shop's data the models learn from, read through the public SDK: every
product (drafts too: a draft may be published later) and the baskets of paid
orders, oldest first."""
from __future__ import annotations

from typing import Any

from engine import sdk

from shopwright_recommendations.items import CatalogItem


def _text(product: Any) -> str:
    values = [str(value) for value in product.attributes.values() if not isinstance(value, bool)]
    return " ".join([product.title, product.title, product.description, *product.categories, *values])


async def catalog_items(runtime: Any) -> list[CatalogItem]:
    items: list[CatalogItem] = []
    cursor = None
    while True:
        page = await sdk.products(runtime, status="any", limit=200, cursor=cursor)
        items.extend(CatalogItem(p.id, tuple(p.categories), _text(p)) for p in page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


async def baskets(runtime: Any) -> list[list[int]]:
    """The product ids of each paid order, in order id order (deleted
    products left out)."""
    by_order: dict[int, list[int]] = {}
    after = 0
    while lines := await sdk.paid_order_lines(runtime, after_order_id=after, limit=1000):
        for line in lines:
            basket = by_order.setdefault(line.order_id, [])
            if line.product_id is not None:
                basket.append(line.product_id)
        after = lines[-1].order_id
    return [basket for basket in by_order.values() if basket]
