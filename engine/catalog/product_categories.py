"""Which categories products are in, for readers outside the catalog (the
sales report by category)."""
from __future__ import annotations

from typing import Iterable

from engine.db.sql import fetch, placeholders

#: Products asked about per query (bounded IN lists on both databases).
CHUNK = 500


async def category_names(product_ids: Iterable[int]) -> dict[int, list[str]]:
    """``{product_id: [category name, ...]}`` (by the product's category
    order); products in no category are left out."""
    ids = sorted({int(i) for i in product_ids if i is not None})
    names: dict[int, list[str]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = await fetch("SELECT pc.product AS product, c.name AS name FROM catalog_product_categories pc "
                           "JOIN catalog_categories c ON c.id = pc.category "
                           f"WHERE pc.product IN ({placeholders(chunk)}) ORDER BY pc.product, pc.position, c.id",
                           *chunk)
        for row in rows:
            names.setdefault(int(row["product"]), []).append(row["name"])
    return names
