"""Product summaries: what listings (search, category pages, featured) show."""
from __future__ import annotations

from typing import Any, Sequence

from engine.db.sql import fetch, placeholders

#: Available stock of a variant in one warehouse, never negative.
AVAILABLE = "CASE WHEN s.on_hand > s.reserved THEN s.on_hand - s.reserved ELSE 0 END"

#: The columns of a summary, from ``catalog_products p`` (listings read them
#: in their own statement, :mod:`engine.catalog.search`).
SUMMARY_COLUMNS = """p.id, p.slug, p.title, p.price_min, p.currency,
  (SELECT i.url FROM catalog_product_images i WHERE i.product = p.id ORDER BY i.position, i.id LIMIT 1) AS image_url,
  (SELECT i.alt FROM catalog_product_images i WHERE i.product = p.id ORDER BY i.position, i.id LIMIT 1) AS image_alt,
  CASE WHEN EXISTS (SELECT 1 FROM catalog_variants v JOIN catalog_stock s ON s.variant = v.id
                    WHERE v.product = p.id AND s.on_hand > s.reserved) THEN 1 ELSE 0 END AS in_stock"""

_SUMMARY_SQL = f"SELECT {SUMMARY_COLUMNS} FROM catalog_products p WHERE p.id IN ({{ids}})"


def money(amount: int | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else {"amount": int(amount), "currency": currency}


async def product_summaries(product_ids: Sequence[int]) -> list[dict[str, Any]]:
    """``{id, slug, title, price_from, image: {url, alt} | None, in_stock}`` for
    each id, in the order given (unknown ids are left out). One query."""
    if not product_ids:
        return []
    rows = await fetch(_SUMMARY_SQL.format(ids=placeholders(product_ids)), *product_ids)
    by_id = {row["id"]: row for row in rows}
    return [summary(by_id[product_id]) for product_id in product_ids if product_id in by_id]


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """A summary from a row of :data:`SUMMARY_COLUMNS`."""
    return {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "price_from": money(row["price_min"], row["currency"]),
        "image": {"url": row["image_url"], "alt": row["image_alt"]} if row["image_url"] else None,
        "in_stock": bool(row["in_stock"]),
    }
