"""Batch reads of the catalog for plugins (``engine.sdk``) and exports: whole
products with their variants, stock totals, categories, attributes and images,
drafts included when the caller asks, a bounded number at a time.

- :func:`load_products`: products by id, in the order given (five queries
  for any number up to :data:`MAX_IDS`);
- :func:`product_id` : the id of a slug;
- :func:`product_page`: a page of products matching a filter, in id order,
  with an opaque cursor for the next page;
- :func:`variants_by_sku`: variants by SKU with their product's identity and
  stock totals (one query per :data:`CHUNK` SKUs);
- :func:`attribute_definitions`: every attribute definition.

Shapes (plain data; amounts in minor units):

- product: ``{id, slug, title, description, status, seo_title,
  seo_description, tax_class, currency, categories: [slug], attributes:
  {code: value}, images: [{url, alt}], variants: [variant], created_at,
  updated_at}``; attribute values are typed (``number``: int or Decimal,
  ``boolean``: bool, else text); times are aware datetimes.
- variant: ``{id, sku, product_id, product_slug, product_title,
  product_status, options: {name: value}, price_amount, currency,
  weight_grams, position, on_hand, reserved, available}`` (stock summed over
  the warehouses; ``available`` never negative).
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Mapping, Sequence

from engine.catalog.facets import category_id
from engine.catalog.validation import canonical_attribute_value, check_code, check_slug, fail
from engine.db.sql import chunks, fetch, fetchone, placeholders, reading, timestamp
from engine.errors import InvalidCursor, InvalidInput

MAX_IDS = 500
MAX_SKUS = 1000
MAX_PAGE = 200
MAX_ATTRIBUTE_FILTERS = 10
CHUNK = 500
STATUSES = ("published", "draft", "any")

_PRODUCT_COLUMNS = ("id, slug, title, description, status, seo_title, seo_description, tax_class, currency, "
                    "created_at, updated_at")
_VARIANTS_SQL = """
SELECT v.id, v.product, v.sku, v.options, v.price_amount, v.currency, v.weight_grams, v.position,
  p.slug AS product_slug, p.title AS product_title, p.status AS product_status,
  COALESCE((SELECT SUM(s.on_hand) FROM catalog_stock s WHERE s.variant = v.id), 0) AS on_hand,
  COALESCE((SELECT SUM(s.reserved) FROM catalog_stock s WHERE s.variant = v.id), 0) AS reserved,
  COALESCE((SELECT SUM(CASE WHEN s.on_hand > s.reserved THEN s.on_hand - s.reserved ELSE 0 END)
            FROM catalog_stock s WHERE s.variant = v.id), 0) AS available
FROM catalog_variants v JOIN catalog_products p ON p.id = v.product
WHERE {where} ORDER BY v.product, v.position, v.id
"""


def _typed(kind: str, text: str) -> Any:
    if kind == "boolean":
        return text == "true"
    if kind == "number":
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else number
    return text


def _variant(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "sku": row["sku"], "product_id": row["product"], "product_slug": row["product_slug"],
        "product_title": row["product_title"], "product_status": row["product_status"],
        "options": json.loads(row["options"] or "{}"), "price_amount": int(row["price_amount"]),
        "currency": row["currency"], "weight_grams": int(row["weight_grams"] or 0), "position": row["position"],
        "on_hand": int(row["on_hand"] or 0), "reserved": int(row["reserved"] or 0),
        "available": int(row["available"] or 0),
    }


def _check_ids(ids: Sequence[int]) -> list[int]:
    if len(ids) > MAX_IDS:
        fail("ids", f"at most {MAX_IDS} at a time")
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            fail("ids", "must be positive whole numbers")
    return list(dict.fromkeys(ids))


async def load_products(ids: Sequence[int]) -> list[dict[str, Any]]:
    """Products with these ids, in the order given (unknown ids left out),
    drafts included. At most :data:`MAX_IDS`."""
    ids = _check_ids(list(ids))
    if not ids:
        return []
    marks = placeholders(ids)
    async with reading():
        products = await fetch(f"SELECT {_PRODUCT_COLUMNS} FROM catalog_products WHERE id IN ({marks})", *ids)
        variants = await fetch(_VARIANTS_SQL.format(where=f"v.product IN ({marks})"), *ids)
        images = await fetch(f"SELECT product, url, alt FROM catalog_product_images WHERE product IN ({marks}) "
                             f"ORDER BY product, position, id", *ids)
        categories = await fetch(
            f"SELECT pc.product, c.slug FROM catalog_product_categories pc JOIN catalog_categories c "
            f"ON c.id = pc.category WHERE pc.product IN ({marks}) ORDER BY pc.product, pc.position, c.name", *ids)
        attributes = await fetch(
            f"SELECT av.product, a.code, a.type, av.value FROM catalog_product_attribute_values av "
            f"JOIN catalog_attributes a ON a.id = av.attribute WHERE av.product IN ({marks}) "
            f"ORDER BY av.product, a.position, a.code", *ids)
    by_id: dict[int, dict[str, Any]] = {}
    for row in products:
        by_id[row["id"]] = {
            "id": row["id"], "slug": row["slug"], "title": row["title"], "description": row["description"],
            "status": row["status"], "seo_title": row["seo_title"], "seo_description": row["seo_description"],
            "tax_class": row["tax_class"], "currency": row["currency"], "categories": [], "attributes": {},
            "images": [], "variants": [], "created_at": timestamp(row["created_at"]),
            "updated_at": timestamp(row["updated_at"]),
        }
    for row in variants:
        by_id[row["product"]]["variants"].append(_variant(row))
    for row in images:
        by_id[row["product"]]["images"].append({"url": row["url"], "alt": row["alt"]})
    for row in categories:
        by_id[row["product"]]["categories"].append(row["slug"])
    for row in attributes:
        by_id[row["product"]]["attributes"][row["code"]] = _typed(row["type"], row["value"])
    return [by_id[product_id] for product_id in ids if product_id in by_id]


async def product_id(slug: str) -> int | None:
    """The id of the product ``slug`` (drafts included), or None."""
    return (await fetchone("SELECT id FROM catalog_products WHERE slug = {}", check_slug(slug))
            or {}).get("id")


def encode_cursor(after_id: int) -> str:
    return base64.urlsafe_b64encode(f"batch:{after_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        if not isinstance(cursor, str) or len(cursor) > 64:
            raise ValueError
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "batch" or not value.isdigit():
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor("The cursor is not valid.", {"cursor": "not a cursor of this listing"}) from None


async def _attribute_filters(attributes: Mapping[str, Any]) -> list[tuple[int, str]]:
    if not isinstance(attributes, Mapping):
        fail("attributes", "must map attribute codes to values")
    if len(attributes) > MAX_ATTRIBUTE_FILTERS:
        fail("attributes", f"at most {MAX_ATTRIBUTE_FILTERS} filters")
    if not attributes:
        return []
    codes = [check_code(code, f"attributes.{code}") for code in attributes]
    definitions = {row["code"]: row for row in await fetch(
        f"SELECT id, code, type, choices FROM catalog_attributes WHERE code IN ({placeholders(codes)})", *codes)}
    found = []
    for code, value in attributes.items():
        if code not in definitions:
            fail(f"attributes.{code}", "no such attribute")
        found.append((definitions[code]["id"],
                      canonical_attribute_value(definitions[code], value, f"attributes.{code}")))
    return found


async def product_page(status: str = "published", category: str | None = None,
                       updated_since: datetime | None = None, attributes: Mapping[str, Any] | None = None,
                       cursor: str | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    """A page of products in id order: ``(products, next cursor or None)``.

    Filters: ``status`` (``published``, ``draft`` or ``any``); ``category``
    (a slug: products in it or a category below it); ``updated_since``
    (an aware datetime: products changed at or after it); ``attributes``
    (``{code: value}``: products with each value). ``limit`` is 1 to
    :data:`MAX_PAGE`. An unknown category or attribute is
    :class:`InvalidInput`; a cursor not made here :class:`InvalidCursor`."""
    if status not in STATUSES:
        fail("status", f"must be one of {', '.join(STATUSES)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        fail("limit", f"must be a whole number from 1 to {MAX_PAGE}")
    where: list[str] = []
    args: list[Any] = []
    if status != "any":
        where.append("p.status = {}")
        args.append(status)
    if category is not None:
        found = await category_id(check_slug(category, "category"))
        if found is None:
            raise InvalidInput(f"There is no category {category!r}.", {"category": "no such category"})
        where.append("EXISTS (SELECT 1 FROM catalog_product_categories pc JOIN catalog_category_closure cl "
                     "ON cl.descendant = pc.category WHERE pc.product = p.id AND cl.ancestor = {})")
        args.append(found)
    if updated_since is not None:
        if not isinstance(updated_since, datetime) or updated_since.tzinfo is None:
            fail("updated_since", "must be an aware datetime")
        where.append("p.updated_at >= {}")
        args.append(updated_since.astimezone(timezone.utc))  # stored in UTC (compared as text on SQLite)
    for attribute_id, value in await _attribute_filters(attributes or {}):
        where.append("EXISTS (SELECT 1 FROM catalog_product_attribute_values av WHERE av.product = p.id "
                     "AND av.attribute = {} AND av.value = {})")
        args += [attribute_id, value]
    if cursor is not None:
        where.append("p.id > {}")
        args.append(decode_cursor(cursor))
    condition = " AND ".join(where) or "1 = 1"
    rows = await fetch(f"SELECT p.id FROM catalog_products p WHERE {condition} ORDER BY p.id LIMIT {{}}",
                       *args, limit + 1)
    ids = [row["id"] for row in rows[:limit]]
    following = encode_cursor(ids[-1]) if len(rows) > limit else None
    return await load_products(ids), following


async def variants_by_sku(skus: Sequence[str], include_unpublished: bool = False) -> dict[str, dict[str, Any]]:
    """Variants by SKU (unknown SKUs, and variants of drafts unless
    ``include_unpublished``, left out). At most :data:`MAX_SKUS`."""
    skus = list(dict.fromkeys(skus))
    if len(skus) > MAX_SKUS:
        fail("skus", f"at most {MAX_SKUS} at a time")
    if any(not isinstance(sku, str) or not 0 < len(sku) <= 100 for sku in skus):
        fail("skus", "must be texts of 1 to 100 characters")
    found: dict[str, dict[str, Any]] = {}
    for batch in chunks(skus, CHUNK):
        condition = f"v.sku IN ({placeholders(batch)})"
        args: list[Any] = list(batch)
        if not include_unpublished:
            condition += " AND p.status = {}"
            args.append("published")
        for row in await fetch(_VARIANTS_SQL.format(where=condition), *args):
            found[row["sku"]] = _variant(row)
    return found


async def attribute_definitions() -> list[dict[str, Any]]:
    """``[{code, name, type, choices: [...], filterable, position}]`` in
    position order."""
    rows = await fetch("SELECT code, name, type, choices, filterable, position FROM catalog_attributes "
                       "ORDER BY position, code")
    return [{**row, "choices": json.loads(row["choices"] or "[]"), "filterable": bool(row["filterable"])}
            for row in rows]
