"""Catalog services: the only way the HTTP layers and other domains read or
change the catalog. All are async and return plain JSON-ready dicts; money is
``{"amount": int minor units, "currency": "EUR"}``.

Reads (no runtime needed; they use the database the app started):
:func:`category_tree`, :func:`get_category`, :func:`get_product`,
:func:`search_products`, :func:`facets`, :func:`featured_products`,
:func:`list_collections`, :func:`get_collection`, :func:`product_summaries`,
:func:`get_variants`, :func:`list_warehouses`. Batch reads of whole
products, drafts included, for plugins and exports: :mod:`engine.catalog.batch`.

Writes (take the runtime; emit outbox events in the same transaction):
:func:`save_product`, :func:`set_stock`, :func:`set_stock_levels` (many SKUs
at once, with an origin), :func:`save_category`, :func:`save_attribute`,
:func:`save_collection`, :func:`save_warehouse`.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from engine.catalog.categories import category_tree, get_category
from engine.catalog.facets import facets
from engine.db.sql import fetch, fetchone, placeholders, reading
from engine.catalog.search import search_products
from engine.catalog.summaries import AVAILABLE, money, product_summaries
from engine.catalog.stock_levels import set_stock_levels
from engine.catalog.validation import typed_attribute_value
from engine.catalog.writes import (
    save_attribute,
    save_category,
    save_collection,
    save_product,
    save_warehouse,
    set_stock,
)

__all__ = [
    "category_tree", "get_category", "get_product", "published_pages", "low_stock", "search_products", "facets", "featured_products",
    "list_collections", "get_collection", "product_summaries", "get_variants", "list_warehouses",
    "save_product", "set_stock", "set_stock_levels", "save_category", "save_attribute", "save_collection", "save_warehouse",
]

_VARIANTS_SQL = f"""
SELECT v.id, v.product, v.sku, v.options, v.price_amount, v.currency, v.weight_grams, v.position,
  COALESCE((SELECT SUM({AVAILABLE}) FROM catalog_stock s WHERE s.variant = v.id), 0) AS available
FROM catalog_variants v WHERE v.product IN ({{ids}}) ORDER BY v.product, v.position, v.id
"""


def _variant_dict(row: dict) -> dict[str, Any]:
    available = int(row["available"] or 0)
    return {
        "id": row["id"],
        "sku": row["sku"],
        "options": json.loads(row["options"] or "{}"),
        "price": money(row["price_amount"], row["currency"]),
        "quantity_available": available,
        "in_stock": available > 0,
        "weight_grams": row["weight_grams"],
        "position": row["position"],
    }


async def get_variants(skus: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Variants by SKU (missing SKUs left out), each with ``product_id``,
    ``product_slug``, ``product_title``, ``product_status``, ``tax_class`` and
    ``image_url`` (the product's first image, or None) besides the fields of a
    product's ``variants``. One query (for carts)."""
    if not skus:
        return {}
    rows = await fetch(
        f"""SELECT v.id, v.product, v.sku, v.options, v.price_amount, v.currency, v.weight_grams, v.position,
              p.slug AS product_slug, p.title AS product_title, p.status AS product_status, p.tax_class,
              COALESCE((SELECT SUM({AVAILABLE}) FROM catalog_stock s WHERE s.variant = v.id), 0) AS available,
              (SELECT i.url FROM catalog_product_images i WHERE i.product = p.id
               ORDER BY i.position, i.id LIMIT 1) AS image_url
            FROM catalog_variants v JOIN catalog_products p ON p.id = v.product
            WHERE v.sku IN ({placeholders(skus)})""",
        *skus,
    )
    out = {}
    for row in rows:
        item = _variant_dict(row)
        item.update(product_id=row["product"], product_slug=row["product_slug"],
                    product_title=row["product_title"], product_status=row["product_status"],
                    tax_class=row["tax_class"], image_url=row["image_url"])
        out[row["sku"]] = item
    return out


async def get_product(slug: str, include_drafts: bool = False, runtime: Any = None) -> dict[str, Any] | None:
    """A product with everything its page needs, or None when there is no such
    product (or it is a draft and ``include_drafts`` is false).

    Shape: ``{id, slug, title, description, status, seo_title, seo_description,
    tax_class, images: [{url, alt}], categories: [{slug, name}], attributes:
    {code: value}, attribute_list: [{code, name, type, value}], options: {name:
    [values in variant order]}, price_from, in_stock, variants: [{id, sku,
    options, price, quantity_available, in_stock, weight_grams, position}],
    created_at, updated_at}``. Five queries on one connection. ``runtime`` is
    accepted for call sites that pass it and is not needed.
    """
    async with reading():
        product = await fetchone(
            "SELECT id, slug, title, description, status, seo_title, seo_description, tax_class, price_min, "
            "currency, created_at, updated_at FROM catalog_products WHERE slug = {}", slug)
        if product is None or (product["status"] != "published" and not include_drafts):
            return None
        pid = product["id"]
        variants = await fetch(_VARIANTS_SQL.format(ids="{}"), pid)
        images = await fetch(
            "SELECT url, alt FROM catalog_product_images WHERE product = {} ORDER BY position, id", pid)
        categories = await fetch(
            "SELECT c.slug, c.name FROM catalog_product_categories pc JOIN catalog_categories c ON c.id = pc.category "
            "WHERE pc.product = {} ORDER BY pc.position, c.name", pid)
        attributes = await fetch(
            "SELECT a.code, a.name, a.type, av.value FROM catalog_product_attribute_values av "
            "JOIN catalog_attributes a ON a.id = av.attribute WHERE av.product = {} ORDER BY a.position, a.code", pid)
    variant_dicts = [_variant_dict(row) for row in variants]
    options: dict[str, list[str]] = {}
    for variant in variant_dicts:
        for name, value in variant["options"].items():
            values = options.setdefault(name, [])
            if value not in values:
                values.append(value)
    attribute_list = [
        {"code": a["code"], "name": a["name"], "type": a["type"], "value": typed_attribute_value(a["type"], a["value"])}
        for a in attributes
    ]
    result = {
        "id": pid,
        "slug": product["slug"],
        "title": product["title"],
        "description": product["description"],
        "status": product["status"],
        "seo_title": product["seo_title"] or product["title"],
        "seo_description": product["seo_description"],
        "tax_class": product["tax_class"],
        "images": [{"url": i["url"], "alt": i["alt"]} for i in images],
        "categories": [{"slug": c["slug"], "name": c["name"]} for c in categories],
        "attributes": {a["code"]: a["value"] for a in attribute_list},
        "attribute_list": attribute_list,
        "options": options,
        "price_from": money(product["price_min"], product["currency"]),
        "in_stock": any(v["in_stock"] for v in variant_dicts),
        "variants": variant_dicts,
        "created_at": _iso(product["created_at"]),
        "updated_at": _iso(product["updated_at"]),
    }
    return result


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


FEATURED_COLLECTION = "featured"


async def featured_products(limit: int = 8) -> list[dict[str, Any]]:
    """Summaries for the home page: the published products of the ``featured``
    collection in its order; when it has none, the newest published products."""
    limit = max(1, min(int(limit), 100))
    rows = await fetch(
        "SELECT p.id FROM catalog_collection_products cp JOIN catalog_collections c ON c.id = cp.collection "
        "JOIN catalog_products p ON p.id = cp.product WHERE c.slug = {} AND p.status = 'published' "
        "AND p.price_min IS NOT NULL ORDER BY cp.position, cp.id LIMIT {}", FEATURED_COLLECTION, limit)
    if not rows:
        rows = await fetch(
            "SELECT p.id FROM catalog_products p WHERE p.status = 'published' AND p.price_min IS NOT NULL "
            "ORDER BY p.id DESC LIMIT {}", limit)
    return await product_summaries([row["id"] for row in rows])


async def list_collections() -> list[dict[str, Any]]:
    """``[{id, slug, title, description, product_count}]`` ordered by position;
    ``product_count`` counts published products."""
    rows = await fetch(
        "SELECT c.id, c.slug, c.title, c.description, "
        "(SELECT COUNT(*) FROM catalog_collection_products cp JOIN catalog_products p ON p.id = cp.product "
        " WHERE cp.collection = c.id AND p.status = 'published') AS product_count "
        "FROM catalog_collections c ORDER BY c.position, c.title, c.id")
    return [{**row, "product_count": int(row["product_count"])} for row in rows]


async def collection_members(slug: str) -> dict[str, Any] | None:
    """A collection as staff edit it: ``{id, slug, title, description,
    position, products: [product slugs, in order, drafts too]}``; None when
    there is no such collection."""
    collection = await fetchone(
        "SELECT id, slug, title, description, position FROM catalog_collections WHERE slug = {}", slug)
    if collection is None:
        return None
    rows = await fetch("SELECT p.slug FROM catalog_collection_products cp JOIN catalog_products p ON p.id = cp.product "
                       "WHERE cp.collection = {} ORDER BY cp.position, cp.id", collection["id"])
    return {**collection, "products": [row["slug"] for row in rows]}


async def get_collection(slug: str, limit: int = 24) -> dict[str, Any] | None:
    """A collection with the summaries of its first ``limit`` published products."""
    collection = await fetchone(
        "SELECT id, slug, title, description FROM catalog_collections WHERE slug = {}", slug)
    if collection is None:
        return None
    rows = await fetch(
        "SELECT p.id FROM catalog_collection_products cp JOIN catalog_products p ON p.id = cp.product "
        "WHERE cp.collection = {} AND p.status = 'published' AND p.price_min IS NOT NULL "
        "ORDER BY cp.position, cp.id LIMIT {}", collection["id"], max(1, min(int(limit), 100)))
    return {**collection, "products": await product_summaries([row["id"] for row in rows])}


#: At most this many product URLs in ``/sitemap.xml`` (the sitemap protocol's limit per file).
SITEMAP_LIMIT = 50_000


async def published_pages(limit: int = SITEMAP_LIMIT) -> dict[str, list[dict[str, Any]]]:
    """What a sitemap lists: ``{"products": [{slug, updated_at}], "categories":
    [{slug}]}`` — published products (newest change first, at most ``limit``)
    and every category."""
    products = await fetch(
        "SELECT slug, updated_at FROM catalog_products WHERE status = 'published' "
        "ORDER BY updated_at DESC, id DESC LIMIT {}", limit)
    categories = await fetch("SELECT slug FROM catalog_categories ORDER BY position, name")
    return {"products": [{"slug": row["slug"], "updated_at": _iso(row["updated_at"])} for row in products],
            "categories": [{"slug": row["slug"]} for row in categories]}


async def low_stock(threshold: int = 5, limit: int = 10) -> list[dict[str, Any]]:
    """Variants of published products with ``threshold`` or fewer units available,
    fewest first: ``[{sku, product_id, title, options, available}]``."""
    rows = await fetch(
        f"""SELECT v.sku, v.options, p.id AS product_id, p.title,
              COALESCE((SELECT SUM({AVAILABLE}) FROM catalog_stock s WHERE s.variant = v.id), 0) AS available
            FROM catalog_variants v JOIN catalog_products p ON p.id = v.product
            WHERE p.status = 'published'
              AND COALESCE((SELECT SUM({AVAILABLE}) FROM catalog_stock s WHERE s.variant = v.id), 0) <= {{}}
            ORDER BY available, v.sku LIMIT {{}}""", threshold, limit)
    return [{"sku": row["sku"], "product_id": row["product_id"], "title": row["title"],
             "options": json.loads(row["options"] or "{}"), "available": int(row["available"])} for row in rows]


async def list_warehouses() -> list[dict[str, Any]]:
    rows = await fetch("SELECT id, code, name, is_default FROM catalog_warehouses ORDER BY is_default DESC, code")
    return [{**row, "is_default": bool(row["is_default"])} for row in rows]
