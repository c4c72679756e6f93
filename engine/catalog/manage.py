"""Catalog management for staff (the admin API): partial updates of products
and variants, prices, deletions and the staff views of products and
categories.

Every change goes through the write services of :mod:`engine.catalog.writes`
(so the outbox gets ``product_saved`` / ``stock_changed``) inside one write
transaction that also holds the read it is based on: a partial update never
loses a concurrent change. Removing a variant (or deleting a product) whose
stock is reserved by an unpaid order is refused with :class:`Conflict`.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from engine import outbox
from engine.catalog.facets import refresh_products, refresh_tree
from engine.db.cursor import decode_cursor, encode_cursor
from engine.db.sql import fetch, fetchone, fetchval, placeholders
from engine.errors import Conflict, NotFound
from engine.catalog.services import get_product
from engine.catalog.validation import check_currency, check_int, check_slug, typed_attribute_value
from engine.catalog.writes import save_category, save_product

PRODUCT_FIELDS = ("title", "description", "status", "seo_title", "seo_description", "tax_class", "categories",
                  "attributes", "images", "variants")
VARIANT_FIELDS = ("options", "price", "weight_grams")
CATEGORY_FIELDS = ("name", "parent", "description", "position", "seo_title", "seo_description")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# ---------------------------------------------------------------- products
async def editable_product(slug: str) -> dict[str, Any] | None:
    """The stored product in the input form of :func:`save_product` (raw SEO
    fields, category slugs, typed attribute values, variants with
    ``price_amount``/``currency``); None when unknown."""
    product = await fetchone(
        "SELECT id, slug, title, description, status, seo_title, seo_description, tax_class "
        "FROM catalog_products WHERE slug = {}", slug)
    if product is None:
        return None
    pid = product.pop("id")
    categories = await fetch("SELECT c.slug FROM catalog_product_categories pc JOIN catalog_categories c "
                             "ON c.id = pc.category WHERE pc.product = {} ORDER BY pc.position, c.name", pid)
    attributes = await fetch("SELECT a.code, a.type, av.value FROM catalog_product_attribute_values av "
                             "JOIN catalog_attributes a ON a.id = av.attribute WHERE av.product = {}", pid)
    images = await fetch("SELECT url, alt FROM catalog_product_images WHERE product = {} ORDER BY position, id", pid)
    variants = await fetch("SELECT sku, options, price_amount, currency, weight_grams FROM catalog_variants "
                           "WHERE product = {} ORDER BY position, id", pid)
    return {
        **product,
        "categories": [row["slug"] for row in categories],
        "attributes": {row["code"]: typed_attribute_value(row["type"], row["value"]) for row in attributes},
        "images": [{"url": row["url"], "alt": row["alt"]} for row in images],
        "variants": [{"sku": row["sku"], "options": json.loads(row["options"] or "{}"),
                      "price_amount": row["price_amount"], "currency": row["currency"],
                      "weight_grams": row["weight_grams"]} for row in variants],
    }


async def product_slug(product_id: int) -> str:
    """The slug of the product with ``product_id``; :class:`NotFound` when there is none."""
    slug = await fetchval("SELECT slug FROM catalog_products WHERE id = {}", product_id)
    if slug is None:
        raise NotFound(f"no product {product_id}")
    return slug


async def staff_product(slug: str) -> dict[str, Any] | None:
    """:func:`get_product` with drafts, and the stored (not defaulted) SEO title."""
    product = await get_product(slug, include_drafts=True)
    if product is not None:
        product["seo_title"] = await fetchval("SELECT seo_title FROM catalog_products WHERE id = {}", product["id"])
    return product


async def _reserved_skus(skus: list[str]) -> list[str]:
    if not skus:
        return []
    rows = await fetch(f"SELECT DISTINCT v.sku FROM catalog_variants v JOIN catalog_stock s ON s.variant = v.id "
                       f"WHERE v.sku IN ({placeholders(skus)}) AND s.reserved > 0 ORDER BY v.sku", *skus)
    return [row["sku"] for row in rows]


async def _save(runtime, current: dict[str, Any], merged: dict[str, Any]) -> None:
    """Save ``merged`` over ``current`` (inside the caller's transaction),
    refusing to drop variants that hold reserved stock."""
    kept = {v.get("sku") for v in merged.get("variants") or [] if isinstance(v, Mapping)}
    dropped = [v["sku"] for v in current["variants"] if v["sku"] not in kept]
    reserved = await _reserved_skus(dropped)
    if reserved:
        raise Conflict(f"variants: {reserved[0]} has stock reserved by an unpaid order",
                       {"variants": f"{reserved[0]} has stock reserved by an unpaid order; it cannot be removed"})
    await save_product(runtime, merged)


async def create_product(runtime, data: Mapping[str, Any]) -> dict[str, Any]:
    """Create a product; :class:`Conflict` when the slug is taken."""
    slug = check_slug(data.get("slug"))
    async with runtime.database.transaction():
        if await fetchval("SELECT id FROM catalog_products WHERE slug = {}", slug) is not None:
            raise Conflict(f"slug: a product {slug!r} exists", {"slug": f"a product {slug!r} exists"})
        await save_product(runtime, data)
    runtime.events_committed()
    return await staff_product(slug)


async def update_product(runtime, slug: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Change the given fields of a product (lists replace what was stored;
    ``variants``, when given, is the full list, matched by SKU). A ``slug``
    in ``changes`` renames the product (its storefront address) in the same
    transaction; :class:`Conflict` when another product has it."""
    new_slug = changes.get("slug")
    async with runtime.database.transaction():
        if new_slug is not None and new_slug != slug:
            await _rename(slug, new_slug)
            slug = new_slug
        current = await editable_product(slug)
        if current is None:
            raise NotFound(f"no product {slug!r}")
        merged = {**current, **{k: v for k, v in changes.items() if k in PRODUCT_FIELDS}}
        await _save(runtime, current, merged)
    runtime.events_committed()
    return await staff_product(slug)


async def _rename(slug: str, new_slug: str) -> None:
    """Give the product ``slug`` the slug ``new_slug`` (inside the caller's
    transaction); :class:`Conflict` when another product has it."""
    new_slug = check_slug(new_slug)
    if await fetchval("SELECT id FROM catalog_products WHERE slug = {}", new_slug) is not None:
        raise Conflict(f"slug: a product {new_slug!r} exists", {"slug": f"a product {new_slug!r} exists"})
    if await fetchval("UPDATE catalog_products SET slug = {} WHERE slug = {} RETURNING id", new_slug, slug) is None:
        raise NotFound(f"no product {slug!r}")


async def delete_product(runtime, slug: str) -> None:
    """Delete a product with its variants and stock; emits ``product_deleted``.
    Orders keep their own copy of what was sold."""
    async with runtime.database.transaction():
        current = await editable_product(slug)
        if current is None:
            raise NotFound(f"no product {slug!r}")
        reserved = await _reserved_skus([v["sku"] for v in current["variants"]])
        if reserved:
            raise Conflict(f"{reserved[0]} has stock reserved by an unpaid order; unpublish the product instead",
                           {"slug": "stock of this product is reserved by an unpaid order"})
        product_id = await fetchval("DELETE FROM catalog_products WHERE slug = {} RETURNING id", slug)
        await refresh_products([product_id])
        await outbox.emit("product_deleted", {"product_id": product_id, "slug": slug,
                                              "skus": [v["sku"] for v in current["variants"]]})
    runtime.events_committed()


async def list_products(cursor: str | None = None, limit: int = 50, status: str | None = None,
                        q: str | None = None, category: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Every product (drafts included), newest first: ``{id, slug, title,
    status, price_from, variant_count, updated_at}``; keyset pages on the id
    (never OFFSET). ``q``: text in the title or slug, or the start of a SKU
    (case as stored); ``category``: a category slug the product is in."""
    limit = max(1, min(int(limit), 200))
    clauses, args = [], []
    if status:
        clauses.append("p.status = {}")
        args.append(status)
    if q:
        clauses.append("(LOWER(p.title) LIKE {} OR p.slug LIKE {} OR EXISTS (SELECT 1 FROM catalog_variants sv "
                       "WHERE sv.product = p.id AND sv.sku >= {} AND sv.sku < {}))")
        pattern = "%" + q.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        # a SKU prefix as a range, so the unique index on sku answers it
        args += [pattern, pattern, q, q + "\U0010ffff"]
    if category:
        clauses.append("EXISTS (SELECT 1 FROM catalog_product_categories pc JOIN catalog_categories c "
                       "ON c.id = pc.category WHERE pc.product = p.id AND c.slug = {})")
        args.append(category)
    if cursor:
        clauses.append("p.id < {}")
        args.extend(decode_cursor(cursor, "admin_id_desc", (int,)))
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = await fetch(
        f"SELECT p.id, p.slug, p.title, p.status, p.price_min, p.currency, p.updated_at, "
        f"(SELECT COUNT(*) FROM catalog_variants v WHERE v.product = p.id) AS variant_count "
        f"FROM catalog_products p {where} ORDER BY p.id DESC LIMIT {{}}", *args, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{
        "id": row["id"], "slug": row["slug"], "title": row["title"], "status": row["status"],
        "price_from": None if row["price_min"] is None else {"amount": row["price_min"], "currency": row["currency"]},
        "variant_count": int(row["variant_count"]), "updated_at": _iso(row["updated_at"]),
    } for row in rows]
    return items, (encode_cursor("admin_id_desc", [rows[-1]["id"]]) if more else None)


# ---------------------------------------------------------------- variants
async def _product_of_sku(sku: str) -> str:
    slug = await fetchval("SELECT p.slug FROM catalog_variants v JOIN catalog_products p ON p.id = v.product "
                          "WHERE v.sku = {}", sku)
    if slug is None:
        raise NotFound(f"no variant {sku!r}", {"sku": f"no variant {sku!r}"})
    return slug


def _variant_of(product: dict[str, Any], sku: str) -> dict[str, Any]:
    return next(v for v in product["variants"] if v["sku"] == sku)


async def get_variant(sku: str) -> dict[str, Any]:
    product = await staff_product(await _product_of_sku(sku))
    return {**_variant_of(product, sku), "product": product["slug"]}


async def add_variant(runtime, slug: str, variant: Mapping[str, Any]) -> dict[str, Any]:
    """Append a variant to a product; :class:`Conflict` when the SKU exists."""
    sku = variant.get("sku")
    async with runtime.database.transaction():
        current = await editable_product(slug)
        if current is None:
            raise NotFound(f"no product {slug!r}")
        if isinstance(sku, str) and await fetchval("SELECT id FROM catalog_variants WHERE sku = {}", sku.strip()):
            raise Conflict(f"sku: {sku!r} exists", {"sku": f"a variant {sku!r} exists"})
        await _save(runtime, current, {**current, "variants": [*current["variants"], dict(variant)]})
    runtime.events_committed()
    return await get_variant(sku.strip())


async def update_variant(runtime, sku: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Change a variant's ``options``, ``price`` (``{amount, currency?}``) and/or
    ``weight_grams``; other variants stay as they are."""
    async with runtime.database.transaction():
        current = await editable_product(await _product_of_sku(sku))
        variants = []
        for variant in current["variants"]:
            if variant["sku"] == sku:
                variant = {**variant, **{k: v for k, v in changes.items() if k in VARIANT_FIELDS}}
                price = variant.pop("price", None)
                if price is not None:
                    variant["price_amount"] = check_int(price.get("amount"), "price.amount")
                    if price.get("currency"):
                        variant["currency"] = check_currency(price["currency"], runtime.settings.store.currency,
                                                             "price.currency")
            variants.append(variant)
        await _save(runtime, current, {**current, "variants": variants})
    runtime.events_committed()
    return await get_variant(sku)


async def set_price(runtime, sku: str, amount: int, currency: str | None = None) -> dict[str, Any]:
    """Set a variant's price (minor units); emits ``product_saved``."""
    price: dict[str, Any] = {"amount": amount}
    if currency:
        price["currency"] = currency
    return await update_variant(runtime, sku, {"price": price})


async def delete_variant(runtime, sku: str) -> None:
    async with runtime.database.transaction():
        current = await editable_product(await _product_of_sku(sku))
        await _save(runtime, current, {**current, "variants": [v for v in current["variants"] if v["sku"] != sku]})
    runtime.events_committed()


async def variant_stock(sku: str) -> dict[str, Any]:
    """``{sku, quantity_available, items: [{warehouse, on_hand, reserved, available}]}``
    over every warehouse (0 where the variant has no stock row)."""
    variant_id = await fetchval("SELECT id FROM catalog_variants WHERE sku = {}", sku)
    if variant_id is None:
        raise NotFound(f"no variant {sku!r}", {"sku": f"no variant {sku!r}"})
    rows = await fetch(
        "SELECT w.code, COALESCE(s.on_hand, 0) AS on_hand, COALESCE(s.reserved, 0) AS reserved "
        "FROM catalog_warehouses w LEFT JOIN catalog_stock s ON s.warehouse = w.id AND s.variant = {} "
        "ORDER BY w.is_default DESC, w.code", variant_id)
    items = [{"warehouse": row["code"], "on_hand": int(row["on_hand"]), "reserved": int(row["reserved"]),
              "available": max(int(row["on_hand"]) - int(row["reserved"]), 0)} for row in rows]
    return {"sku": sku, "quantity_available": sum(i["available"] for i in items), "items": items}


# ---------------------------------------------------------------- categories
async def list_categories() -> list[dict[str, Any]]:
    """Every category, flat, ordered by position and name, with its parent's
    slug and how many products it holds directly."""
    rows = await fetch(
        "SELECT c.id, c.slug, c.name, c.description, c.position, c.seo_title, c.seo_description, p.slug AS parent, "
        "(SELECT COUNT(*) FROM catalog_product_categories pc WHERE pc.category = c.id) AS product_count "
        "FROM catalog_categories c LEFT JOIN catalog_categories p ON p.id = c.parent "
        "ORDER BY c.position, c.name, c.id")
    return [{**row, "product_count": int(row["product_count"])} for row in rows]


async def get_category(slug: str) -> dict[str, Any]:
    for row in await list_categories():
        if row["slug"] == slug:
            return row
    raise NotFound(f"no category {slug!r}")


async def create_category(runtime, data: Mapping[str, Any]) -> dict[str, Any]:
    slug = check_slug(data.get("slug"))
    async with runtime.database.transaction():
        if await fetchval("SELECT id FROM catalog_categories WHERE slug = {}", slug) is not None:
            raise Conflict(f"slug: a category {slug!r} exists", {"slug": f"a category {slug!r} exists"})
        await save_category(runtime, data)
    return await get_category(slug)


async def update_category(runtime, slug: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    async with runtime.database.transaction():
        current = await get_category(slug)
        merged = {key: current[key] for key in CATEGORY_FIELDS}
        merged.update({k: v for k, v in changes.items() if k in CATEGORY_FIELDS})
        await save_category(runtime, {**merged, "slug": slug})
    return await get_category(slug)


async def delete_category(runtime, slug: str) -> None:
    """Delete a category; its children become roots, its products stay."""
    async with runtime.database.transaction():
        category_id = await fetchval("DELETE FROM catalog_categories WHERE slug = {} RETURNING id", slug)
        if category_id is None:
            raise NotFound(f"no category {slug!r}")
        await refresh_tree([category_id])
