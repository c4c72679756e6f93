"""Catalog write services. Each runs in one write transaction
(``runtime.database.transaction()``): either everything is written or nothing.
Product and stock changes write ``product_saved`` / ``stock_changed`` events
to the outbox in the same transaction, then wake the relay.

Event payloads:

- ``product_saved``: ``{"product_id", "slug", "status", "created": bool}``
- ``stock_changed``: ``{"sku", "variant_id", "warehouse", "on_hand", "reserved", "available",
  "origin"}``; ``origin`` says what caused the change: ``catalog`` for these
  services' own writes (admin, API, product saves), ``orders`` for reservations
  and sales (:mod:`engine.orders.stock`), or what the caller of
  :func:`set_stock` or :func:`engine.catalog.stock_levels.set_stock_levels`
  named (a plugin's name, e.g. ``erp_sync``), so a plugin can skip the events
  it caused.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping

from engine import outbox
from engine.catalog.facets import refresh_products, refresh_tree
from engine.db.sql import fetch, fetchone, fetchval, placeholders
from engine.errors import Conflict, InvalidInput, NotFound
from engine.catalog.validation import (
    RESERVED_FILTERS,
    canonical_attribute_value,
    check_attribute_type,
    check_code,
    check_currency,
    check_int,
    check_options,
    check_origin,
    check_sku,
    check_slug,
    check_status,
    check_text,
    fail,
    parse_price,
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def default_warehouse_id() -> int:
    warehouse_id = await fetchval("SELECT id FROM catalog_warehouses WHERE is_default = {}", True)
    if warehouse_id is None:
        raise NotFound("no default warehouse: run `shopwright migrate`")
    return warehouse_id


async def warehouse_row(code: str | None) -> dict:
    """``{id, code}`` of warehouse ``code`` (None or ``"default"``: the
    default one); :class:`NotFound` when there is none."""
    if code in (None, "", "default"):
        row = await fetchone("SELECT id, code FROM catalog_warehouses WHERE is_default = {}", True)
        if row is None and code == "default":
            row = await fetchone("SELECT id, code FROM catalog_warehouses WHERE code = {}", "default")
    else:
        row = await fetchone("SELECT id, code FROM catalog_warehouses WHERE code = {}", code)
    if row is None:
        raise NotFound(f"warehouse: no warehouse {code!r}", {"warehouse": f"no warehouse {code!r}"})
    return row


# ---------------------------------------------------------------- categories
async def save_category(runtime: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Create or update (by ``slug``) a category: ``{slug, name, parent (slug or
    None), description, position, seo_title, seo_description}``. Refuses a
    parent that is the category itself or one of its descendants."""
    slug = check_slug(data.get("slug"))
    name = check_text(data.get("name"), "name", required=True, max_length=200)
    description = check_text(data.get("description"), "description", max_length=20_000)
    position = check_int(data.get("position", 0), "position", minimum=-10**6, maximum=10**6)
    seo_title = check_text(data.get("seo_title"), "seo_title")
    seo_description = check_text(data.get("seo_description"), "seo_description", max_length=1000)
    parent_slug = data.get("parent") or None
    async with runtime.database.transaction():
        existing = await fetchone("SELECT id, parent FROM catalog_categories WHERE slug = {}", slug)
        parent_id = None
        if parent_slug is not None:
            parent = await fetchone("SELECT id FROM catalog_categories WHERE slug = {}", check_slug(parent_slug, "parent"))
            if parent is None:
                fail("parent", f"no category {parent_slug!r}")
            parent_id = parent["id"]
            if existing:
                rows = await fetch("SELECT id, parent FROM catalog_categories")
                parents = {row["id"]: row["parent"] for row in rows}
                node, seen = parent_id, set()
                while node is not None and node not in seen:
                    if node == existing["id"]:
                        fail("parent", "would make the category its own ancestor")
                    seen.add(node)
                    node = parents.get(node)
        if existing:
            await fetch(
                "UPDATE catalog_categories SET parent = {}, name = {}, description = {}, position = {}, "
                "seo_title = {}, seo_description = {} WHERE id = {}",
                parent_id, name, description, position, seo_title, seo_description, existing["id"])
            category_id = existing["id"]
        else:
            category_id = await fetchval(
                "INSERT INTO catalog_categories (parent, slug, name, description, position, seo_title, "
                "seo_description, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
                parent_id, slug, name, description, position, seo_title, seo_description, _now())
        if existing is None or existing["parent"] != parent_id:
            await refresh_tree([category_id] if existing else [])
    return {"id": category_id, "slug": slug, "name": name, "parent": parent_slug, "position": position}


# ---------------------------------------------------------------- attributes
async def save_attribute(runtime: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Create or update (by ``code``) an attribute definition: ``{code, name,
    type: text|number|boolean|choice, choices: [...] (choice only),
    filterable: bool, position}``. Changing the type of an attribute that
    has values is refused."""
    code = check_code(data.get("code"))
    if code in RESERVED_FILTERS:
        fail("code", f"{code!r} is reserved for search parameters")
    name = check_text(data.get("name"), "name", required=True, max_length=200)
    kind = check_attribute_type(data.get("type", "text"))
    choices = data.get("choices") or []
    if not isinstance(choices, (list, tuple)) or not all(isinstance(c, str) and c.strip() for c in choices):
        fail("choices", "must be a list of non-empty texts")
    choices = [c.strip() for c in choices]
    if kind == "choice" and not choices:
        fail("choices", "a choice attribute needs at least one choice")
    filterable = bool(data.get("filterable", True))
    position = check_int(data.get("position", 0), "position", minimum=-10**6, maximum=10**6)
    async with runtime.database.transaction():
        existing = await fetchone("SELECT id, type FROM catalog_attributes WHERE code = {}", code)
        if existing:
            if existing["type"] != kind and await fetchval(
                    "SELECT COUNT(*) FROM catalog_product_attribute_values WHERE attribute = {}", existing["id"]):
                fail("type", "cannot change the type of an attribute that has values")
            await fetch("UPDATE catalog_attributes SET name = {}, type = {}, choices = {}, filterable = {}, "
                        "position = {} WHERE id = {}", name, kind, json.dumps(choices), filterable, position,
                        existing["id"])
            attribute_id = existing["id"]
        else:
            attribute_id = await fetchval(
                "INSERT INTO catalog_attributes (code, name, type, choices, filterable, position) "
                "VALUES ({}, {}, {}, {}, {}, {}) RETURNING id", code, name, kind, json.dumps(choices), filterable,
                position)
    return {"id": attribute_id, "code": code, "name": name, "type": kind, "choices": choices,
            "filterable": filterable, "position": position}


# ---------------------------------------------------------------- warehouses
async def save_warehouse(runtime: Any, code: str, name: str, is_default: bool = False) -> dict[str, Any]:
    """Create or update a warehouse; ``is_default=True`` moves the default to it."""
    code = check_code(code, "code")
    name = check_text(name, "name", required=True, max_length=200)
    async with runtime.database.transaction():
        if is_default:
            await fetch("UPDATE catalog_warehouses SET is_default = {} WHERE code <> {}", False, code)
        existing = await fetchone("SELECT id, is_default FROM catalog_warehouses WHERE code = {}", code)
        if existing:
            await fetch("UPDATE catalog_warehouses SET name = {}, is_default = {} WHERE id = {}",
                        name, bool(is_default or existing["is_default"]), existing["id"])
            warehouse_id = existing["id"]
        else:
            warehouse_id = await fetchval(
                "INSERT INTO catalog_warehouses (code, name, is_default) VALUES ({}, {}, {}) RETURNING id",
                code, name, bool(is_default))
    return {"id": warehouse_id, "code": code, "name": name, "is_default": bool(is_default)}


# ---------------------------------------------------------------- collections
async def save_collection(runtime: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Create or update (by ``slug``) a collection ``{slug, title, description,
    position, products: [product slugs] }``; ``products``, when given, replaces
    the membership in that order (unknown slugs are refused)."""
    slug = check_slug(data.get("slug"))
    title = check_text(data.get("title"), "title", required=True)
    description = check_text(data.get("description"), "description", max_length=20_000)
    position = check_int(data.get("position", 0), "position", minimum=-10**6, maximum=10**6)
    products = data.get("products")
    async with runtime.database.transaction():
        existing = await fetchone("SELECT id FROM catalog_collections WHERE slug = {}", slug)
        if existing:
            collection_id = existing["id"]
            await fetch("UPDATE catalog_collections SET title = {}, description = {}, position = {} WHERE id = {}",
                        title, description, position, collection_id)
        else:
            collection_id = await fetchval(
                "INSERT INTO catalog_collections (slug, title, description, position) VALUES ({}, {}, {}, {}) "
                "RETURNING id", slug, title, description, position)
        if products is not None:
            slugs = list(dict.fromkeys(products))
            ids: dict[str, int] = {}
            if slugs:
                ids = {row["slug"]: row["id"] for row in await fetch(
                    f"SELECT id, slug FROM catalog_products WHERE slug IN ({placeholders(slugs)})", *slugs)}
            missing = [s for s in slugs if s not in ids]
            if missing:
                fail("products", f"no product {missing[0]!r}")
            await fetch("DELETE FROM catalog_collection_products WHERE collection = {}", collection_id)
            for index, product_slug in enumerate(slugs):
                await fetch("INSERT INTO catalog_collection_products (collection, product, position) "
                            "VALUES ({}, {}, {})", collection_id, ids[product_slug], index)
    return {"id": collection_id, "slug": slug, "title": title, "description": description, "position": position}


# ---------------------------------------------------------------- products
def _product_input(data: Mapping[str, Any], store_currency: str) -> dict[str, Any]:
    """Validate a product payload (no database access)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("product: must be an object", {"product": "must be an object"})
    product = {
        "slug": check_slug(data.get("slug")),
        "title": check_text(data.get("title"), "title", required=True),
        "description": check_text(data.get("description"), "description", max_length=100_000),
        "status": check_status(data.get("status")),
        "seo_title": check_text(data.get("seo_title"), "seo_title"),
        "seo_description": check_text(data.get("seo_description"), "seo_description", max_length=1000),
        "tax_class": check_text(data.get("tax_class") or "standard", "tax_class", max_length=50),
    }
    categories = data.get("categories") or []
    if not isinstance(categories, (list, tuple)):
        fail("categories", "must be a list of category slugs")
    product["categories"] = list(dict.fromkeys(check_slug(c, "categories") for c in categories))
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        fail("attributes", "must be an object of attribute code to value")
    product["attributes"] = {check_code(code, f"attributes.{code}"): value for code, value in attributes.items()
                             if value not in (None, "")}
    images = data.get("images") or []
    if not isinstance(images, (list, tuple)):
        fail("images", "must be a list of {url, alt}")
    product["images"] = []
    for index, image in enumerate(images):
        if not isinstance(image, Mapping):
            fail(f"images.{index}", "must be {url, alt}")
        product["images"].append({
            "url": check_text(image.get("url"), f"images.{index}.url", required=True, max_length=1000),
            "alt": check_text(image.get("alt"), f"images.{index}.alt", required=True, max_length=500),
        })
    variants = data.get("variants") or []
    if not isinstance(variants, (list, tuple)):
        fail("variants", "must be a list")
    product["variants"] = []
    seen: set[str] = set()
    currencies = set()
    for index, variant in enumerate(variants):
        where = f"variants.{index}"
        if not isinstance(variant, Mapping):
            fail(where, "must be an object")
        sku = check_sku(variant.get("sku"), f"{where}.sku")
        if sku in seen:
            fail(f"{where}.sku", f"duplicate SKU {sku!r}")
        seen.add(sku)
        price = variant.get("price")
        if isinstance(price, Mapping):
            currency = check_currency(price.get("currency") or store_currency, store_currency,
                                      f"{where}.price.currency")
            amount = check_int(price.get("amount"), f"{where}.price.amount")
        elif "price_amount" in variant:
            currency = check_currency(variant.get("currency") or store_currency, store_currency, f"{where}.currency")
            amount = check_int(variant.get("price_amount"), f"{where}.price_amount")
        else:
            currency = check_currency(variant.get("currency") or store_currency, store_currency, f"{where}.currency")
            amount = parse_price(variant.get("price"), currency, f"{where}.price")
        currencies.add(currency)
        stock = variant.get("stock")
        if stock is not None and not isinstance(stock, Mapping):
            stock = {"": stock}
        product["variants"].append({
            "sku": sku,
            "options": check_options(variant.get("options"), f"{where}.options"),
            "price_amount": amount,
            "currency": currency,
            "weight_grams": check_int(variant.get("weight_grams") or 0, f"{where}.weight_grams", maximum=10**9),
            "position": index,
            "stock": {code: check_int(qty, f"{where}.stock", maximum=10**9) for code, qty in (stock or {}).items()},
        })
    if len(currencies) > 1:
        fail("variants", "all variants of a product must use one currency")
    product["currency"] = currencies.pop() if currencies else store_currency
    return product


async def save_product(runtime: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Create or replace (by ``slug``) a product with its variants, categories,
    attributes and images; returns :func:`engine.catalog.services.get_product`
    (drafts included).

    ``data``: ``{slug, title, description, status, seo_title, seo_description,
    tax_class, categories: [slugs], attributes: {code: value}, images: [{url,
    alt}], variants: [{sku, options: {name: value}, price: {amount, currency} |
    price: "19.99" | price_amount: 1999, weight_grams, stock: int |
    {warehouse code: on_hand}}]}``. Variants are matched by SKU; variants of
    the product missing from ``variants`` are deleted; a SKU that belongs to
    another product is refused. Lists replace what was stored. Emits
    ``product_saved`` (and ``stock_changed`` per stock value given).
    """
    product = _product_input(data, runtime.settings.store.currency)
    now = _now()
    events: list[tuple[str, dict]] = []
    async with runtime.database.transaction():
        category_ids: dict[str, int] = {}
        if product["categories"]:
            category_ids = {row["slug"]: row["id"] for row in await fetch(
                f"SELECT id, slug FROM catalog_categories WHERE slug IN ({placeholders(product['categories'])})",
                *product["categories"])}
            missing = [s for s in product["categories"] if s not in category_ids]
            if missing:
                fail("categories", f"no category {missing[0]!r}")
        attribute_values: list[tuple[int, str]] = []
        if product["attributes"]:
            codes = list(product["attributes"])
            definitions = {row["code"]: row for row in await fetch(
                f"SELECT id, code, type, choices FROM catalog_attributes WHERE code IN ({placeholders(codes)})",
                *codes)}
            for code, value in product["attributes"].items():
                if code not in definitions:
                    fail(f"attributes.{code}", "no such attribute")
                attribute_values.append((definitions[code]["id"], canonical_attribute_value(
                    definitions[code], value, f"attributes.{code}")))
        existing = await fetchone("SELECT id FROM catalog_products WHERE slug = {}", product["slug"])
        prices = [v["price_amount"] for v in product["variants"]]
        price_min = min(prices) if prices else None
        fields = (product["title"], product["description"], product["status"], product["seo_title"],
                  product["seo_description"], product["tax_class"], price_min, product["currency"])
        if existing:
            product_id = existing["id"]
            await fetch("UPDATE catalog_products SET title = {}, description = {}, status = {}, seo_title = {}, "
                        "seo_description = {}, tax_class = {}, price_min = {}, currency = {}, updated_at = {} "
                        "WHERE id = {}", *fields, now, product_id)
        else:
            product_id = await fetchval(
                "INSERT INTO catalog_products (slug, title, description, status, seo_title, seo_description, "
                "tax_class, price_min, currency, created_at, updated_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
                product["slug"], *fields, now, now)
        skus = [v["sku"] for v in product["variants"]]
        owners: dict[str, dict] = {}
        if skus:
            owners = {row["sku"]: row for row in await fetch(
                f"SELECT id, sku, product FROM catalog_variants WHERE sku IN ({placeholders(skus)})", *skus)}
        for sku, row in owners.items():
            if row["product"] != product_id:
                # the state of the shop refuses it, not the request's shape: 409, like a taken slug
                raise Conflict(f"variants: SKU {sku!r} belongs to another product",
                               {"variants": f"SKU {sku!r} belongs to another product"})
        if skus:
            await fetch(f"DELETE FROM catalog_variants WHERE product = {{}} AND sku NOT IN ({placeholders(skus)})",
                        product_id, *skus)
        else:
            await fetch("DELETE FROM catalog_variants WHERE product = {}", product_id)
        for variant in product["variants"]:
            values = (json.dumps(variant["options"], sort_keys=True), variant["price_amount"], variant["currency"],
                      variant["weight_grams"], variant["position"])
            if variant["sku"] in owners:
                variant_id = owners[variant["sku"]]["id"]
                await fetch("UPDATE catalog_variants SET options = {}, price_amount = {}, currency = {}, "
                            "weight_grams = {}, position = {} WHERE id = {}", *values, variant_id)
            else:
                variant_id = await fetchval(
                    "INSERT INTO catalog_variants (product, sku, options, price_amount, currency, weight_grams, "
                    "position) VALUES ({}, {}, {}, {}, {}, {}, {}) RETURNING id", product_id, variant["sku"], *values)
            for code, on_hand in variant["stock"].items():
                events.append(("stock_changed", await _set_stock_row(variant_id, variant["sku"], code or None, on_hand)))
        await fetch("DELETE FROM catalog_product_attribute_values WHERE product = {}", product_id)
        for attribute_id, value in attribute_values:
            await fetch("INSERT INTO catalog_product_attribute_values (product, attribute, value) VALUES ({}, {}, {})",
                        product_id, attribute_id, value)
        await fetch("DELETE FROM catalog_product_categories WHERE product = {}", product_id)
        for index, slug in enumerate(product["categories"]):
            await fetch("INSERT INTO catalog_product_categories (product, category, position) VALUES ({}, {}, {})",
                        product_id, category_ids[slug], index)
        await fetch("DELETE FROM catalog_product_images WHERE product = {}", product_id)
        for index, image in enumerate(product["images"]):
            await fetch("INSERT INTO catalog_product_images (product, url, alt, position) VALUES ({}, {}, {}, {})",
                        product_id, image["url"], image["alt"], index)
        await refresh_products([product_id])
        await outbox.emit("product_saved", {"product_id": product_id, "slug": product["slug"],
                                            "status": product["status"], "created": existing is None})
        for name, payload in events:
            await outbox.emit(name, payload)
    runtime.events_committed()
    from engine.catalog.services import get_product

    return await get_product(product["slug"], include_drafts=True)


# ---------------------------------------------------------------- stock
#: the ``origin`` of stock changes made by the catalog services themselves
CATALOG_ORIGIN = "catalog"


def stock_payload(sku: str, variant_id: int, warehouse: str, on_hand: int, reserved: int,
                  origin: str) -> dict[str, Any]:
    """The payload of a ``stock_changed`` event (see the module docs)."""
    return {"sku": sku, "variant_id": variant_id, "warehouse": warehouse, "on_hand": on_hand, "reserved": reserved,
            "available": max(on_hand - reserved, 0), "origin": origin}


async def _set_stock_row(variant_id: int, sku: str, warehouse_code: str | None, on_hand: int,
                         origin: str = CATALOG_ORIGIN) -> dict[str, Any]:
    warehouse = await warehouse_row(warehouse_code)
    row = await fetchone(
        "INSERT INTO catalog_stock (variant, warehouse, on_hand, reserved) VALUES ({}, {}, {}, 0) "
        "ON CONFLICT (variant, warehouse) DO UPDATE SET on_hand = excluded.on_hand "
        "RETURNING on_hand, reserved", variant_id, warehouse["id"], on_hand)
    return stock_payload(sku, variant_id, warehouse["code"], row["on_hand"], row["reserved"], origin)


async def set_stock(runtime: Any, sku: str, warehouse: str | None, on_hand: int,
                    origin: str = CATALOG_ORIGIN) -> dict[str, Any]:
    """Set the on-hand quantity of ``sku`` in ``warehouse`` (None or
    ``"default"``: the default warehouse). Reservations are kept; available
    = on_hand - reserved (shown as 0 when reservations exceed it). Emits
    ``stock_changed`` with ``origin``; returns its payload. Raises
    :class:`NotFound` for an unknown SKU or warehouse. (Many SKUs at once:
    :func:`engine.catalog.stock_levels.set_stock_levels`.)"""
    sku = check_sku(sku)
    on_hand = check_int(on_hand, "on_hand", maximum=10**9)
    origin = check_origin(origin)
    async with runtime.database.transaction():
        variant = await fetchone("SELECT id FROM catalog_variants WHERE sku = {}", sku)
        if variant is None:
            raise NotFound(f"sku: no variant {sku!r}", {"sku": f"no variant {sku!r}"})
        payload = await _set_stock_row(variant["id"], sku, warehouse, on_hand, origin)
        await outbox.emit("stock_changed", payload)
    runtime.events_committed()
    return payload
