"""``sdk.upsert_products``: bulk create/update of products, variants and
prices keyed by slug and SKU; all or nothing; no stock (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from engine import sdk


async def test_upsert_creates_then_updates_and_is_idempotent(make_runtime, database_url):
    runtime = await make_runtime(database_url=database_url, background=False)
    records = [
        {"product_slug": "tee", "title": "Tee", "sku": "TEE-S", "price_amount": 1900, "options": {"size": "S"}},
        {"product_slug": "tee", "sku": "TEE-M", "price_amount": 1900, "options": {"size": "M"}},
        {"product_slug": "cap", "title": "Cap", "sku": "CAP", "price": "9.90"},
    ]
    report = await sdk.upsert_products(runtime, records)
    assert report.written and (report.products, report.variants) == (2, 3) and not report.errors
    assert (await sdk.upsert_products(runtime, records)).written        # again: nothing changes
    assert (await sdk.product(runtime, "tee", include_unpublished=True)).title == "Tee"
    await sdk.upsert_products(runtime, [{"product_slug": "cap", "title": "Cap", "sku": "CAP", "price_amount": 990 + 100}])
    found = await sdk.variants(runtime, ["TEE-S", "TEE-M", "CAP"], include_unpublished=True)
    assert [found[sku].price.amount for sku in ("TEE-S", "TEE-M", "CAP")] == [1900, 1900, 1090]
    assert found["CAP"].on_hand == 0


async def test_a_refused_record_writes_nothing_and_is_named(make_runtime, sqlite_url):
    runtime = await make_runtime(database_url=sqlite_url, background=False)
    report = await sdk.upsert_products(runtime, [
        {"product_slug": "ok", "title": "Fine", "sku": "OK-1", "price_amount": 100},
        {"product_slug": "bad", "title": "Bad", "sku": "BAD-1", "price_amount": -5},
    ])
    assert not report.written and list(report.errors) == [1]
    assert await sdk.variant(runtime, "OK-1", include_unpublished=True) is None
    with pytest.raises(ValueError, match="set_stock"):
        await sdk.upsert_products(runtime, [{"product_slug": "x", "title": "X", "sku": "X", "price_amount": 1,
                                             "stock": 3}])
