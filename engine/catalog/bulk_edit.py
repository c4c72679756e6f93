"""Changes to many selected products at once (the admin's bulk actions).

Each function takes product ids (at most :data:`MAX_PRODUCTS`), works in one
write transaction — all products change or none — and emits one
``product_saved`` per product changed. Unknown ids are refused
(:class:`NotFound`) before anything is written.

Price changes are exact: a percentage is a :class:`~decimal.Decimal`, the new
price ``price × (100 + percent) / 100`` is rounded half up to the currency's
minor unit (documented in docs/catalog.md); an amount is added in minor
units. A change that would take any price below zero or above
:data:`engine.money.MAX_AMOUNT` refuses the whole action, naming the SKU.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

from engine import outbox
from engine.catalog.facets import refresh_products
from engine.catalog.validation import check_slug, fail
from engine.db.sql import fetch, fetchval, placeholders
from engine.errors import NotFound
from engine.money import MAX_AMOUNT

MAX_PRODUCTS = 500
#: the smallest percentage: -100 % makes every price zero
MIN_PERCENT = Decimal(-100)
MAX_PERCENT = Decimal(10_000)


def _ids(product_ids: Iterable[Any]) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(i) for i in product_ids))
    except (TypeError, ValueError):
        fail("products", "must be product ids")
    if any(not 0 < i < 2**63 for i in ids):
        fail("products", "must be product ids")
    if not ids:
        fail("products", "select at least one product")
    if len(ids) > MAX_PRODUCTS:
        fail("products", f"at most {MAX_PRODUCTS} products at a time")
    return ids


async def _products(ids: list[int]) -> list[dict[str, Any]]:
    rows = await fetch(f"SELECT id, slug, status FROM catalog_products WHERE id IN ({placeholders(ids)}) "
                       f"ORDER BY id", *ids)
    if len(rows) != len(ids):
        missing = sorted(set(ids) - {row["id"] for row in rows})
        raise NotFound(f"products: no product {missing[0]}", {"products": f"no product {missing[0]}"})
    return rows


async def _saved(rows: list[dict[str, Any]], status: str | None = None) -> None:
    for row in rows:
        await outbox.emit("product_saved", {"product_id": row["id"], "slug": row["slug"],
                                            "status": status or row["status"], "created": False})


async def set_status(runtime: Any, product_ids: Iterable[Any], status: str) -> int:
    """Publish (``published``) or unpublish (``draft``) the products; returns
    how many changed."""
    if status not in ("draft", "published"):
        fail("status", "must be draft or published")
    ids = _ids(product_ids)
    async with runtime.database.transaction():
        rows = [row for row in await _products(ids) if row["status"] != status]
        if rows:
            changed = [row["id"] for row in rows]
            await fetch(f"UPDATE catalog_products SET status = {{}} WHERE id IN ({placeholders(changed)})",
                        status, *changed)
            await refresh_products(changed)
            await _saved(rows, status)
    runtime.events_committed()
    return len(rows)


def new_price(amount: int, percent: Decimal | None, change: int | None) -> int:
    """The price after the change (see the module docs for the rounding)."""
    if percent is not None:
        return int((Decimal(amount) * (100 + percent) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return amount + int(change or 0)


async def change_prices(runtime: Any, product_ids: Iterable[Any], *, percent: Decimal | None = None,
                        amount: int | None = None) -> int:
    """Change every variant price of the products by ``percent`` (e.g.
    ``Decimal("-10")``) or by ``amount`` minor units (signed); exactly one of
    them. Returns the number of variants changed."""
    if (percent is None) == (amount is None):
        fail("change", "give either a percentage or an amount")
    if percent is not None and not MIN_PERCENT <= percent <= MAX_PERCENT:
        fail("change", f"a percentage from {MIN_PERCENT} to {MAX_PERCENT}")
    if amount is not None and abs(amount) > MAX_AMOUNT:
        fail("change", "the amount is too large")
    ids = _ids(product_ids)
    async with runtime.database.transaction():
        rows = await _products(ids)
        variants = await fetch(f"SELECT id, sku, product, price_amount FROM catalog_variants "
                               f"WHERE product IN ({placeholders(ids)}) ORDER BY id", *ids)
        prices = {}
        for variant in variants:
            price = new_price(int(variant["price_amount"]), percent, amount)
            if price < 0:
                fail("change", f"the price of {variant['sku']} would go below zero")
            if price > MAX_AMOUNT:
                fail("change", f"the price of {variant['sku']} would be too large")
            if price != variant["price_amount"]:
                prices[variant["id"]] = price
        for variant_id, price in prices.items():
            await fetch("UPDATE catalog_variants SET price_amount = {} WHERE id = {}", price, variant_id)
        await fetch(f"UPDATE catalog_products SET price_min = (SELECT MIN(v.price_amount) FROM catalog_variants v "
                    f"WHERE v.product = catalog_products.id) WHERE id IN ({placeholders(ids)})", *ids)
        await refresh_products(ids)
        await _saved(rows)
    runtime.events_committed()
    return len(prices)


async def add_to_category(runtime: Any, product_ids: Iterable[Any], category: str) -> int:
    """Put the products in ``category`` (a slug), after the categories they
    are in; returns how many were added (those already in it stay)."""
    slug = check_slug(category, "category")
    ids = _ids(product_ids)
    async with runtime.database.transaction():
        category_id = await fetchval("SELECT id FROM catalog_categories WHERE slug = {}", slug)
        if category_id is None:
            fail("category", f"no category {slug!r}")
        rows = await _products(ids)
        present = {row["product"] for row in await fetch(
            f"SELECT product FROM catalog_product_categories WHERE category = {{}} "
            f"AND product IN ({placeholders(ids)})", category_id, *ids)}
        added = [row for row in rows if row["id"] not in present]
        for row in added:
            await fetch("INSERT INTO catalog_product_categories (product, category, position) VALUES ({}, {}, "
                        "(SELECT COALESCE(MAX(position), -1) + 1 FROM catalog_product_categories WHERE product = {}))",
                        row["id"], category_id, row["id"])
        await refresh_products([row["id"] for row in added])
        await _saved(added)
    runtime.events_committed()
    return len(added)
