"""Writing products in bulk: create or update many products and their
variants and prices at once, through the catalog's import path."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from engine.catalog.importer import import_source, records_source

__all__ = ["ProductUpserts", "upsert_products"]

#: the most records one call takes
MAX_RECORDS = 10_000


@dataclass(frozen=True)
class ProductUpserts:
    """What :func:`upsert_products` did. ``errors`` maps the position of
    each refused record (0-based, in the order given) to the reason; when
    there is any, nothing was written (``written`` is False). ``products``
    and ``variants`` count what was written."""

    written: bool
    products: int
    variants: int
    errors: Mapping[int, str]


async def upsert_products(runtime: Any, records: Iterable[Mapping[str, Any]]) -> ProductUpserts:
    """Create or update products and variants from ``records`` (up to 10,000,
    one per variant), keyed by ``product_slug`` and ``sku``: a record for a
    slug or SKU that exists updates it, others are created, so calling again
    with the same records changes nothing (idempotent). A record has the
    catalog import's JSON Lines shape (``docs/catalog.md``): ``product_slug``,
    ``sku``, ``price_amount`` (integer minor units) or ``price`` (a decimal
    string), and optionally ``title`` (the product's fields are taken from the
    first record of a product that has one), ``description``, ``status``,
    ``options``, ``weight_grams``, ``currency`` (the store's by default),
    ``categories``, ``attributes``, ``images``. A field left out keeps the
    stored value; variants not named are kept.

    Stock is not written here: set it with :func:`~engine.sdk.set_stock` and
    your origin, so that your own ``stock_changed`` events can be skipped.

    All or nothing: every record is validated first; when any is refused,
    nothing is written and ``errors`` says which and why (drop them and call
    again). Written in one transaction per 5,000 records with one
    ``catalog_imported`` event each. Raises ``ValueError`` for more than
    10,000 records or a record carrying ``stock``. Example (an ERP import)::

        report = await sdk.upsert_products(runtime, [
            {"product_slug": "tee", "title": "Tee", "sku": "TEE-S", "price_amount": 1900, "options": {"size": "S"}},
            {"product_slug": "tee", "sku": "TEE-M", "price_amount": 1900, "options": {"size": "M"}},
        ])
        if report.errors:
            ...
    """
    items = [dict(record) for record in records]
    if len(items) > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS} records per call, got {len(items)}")
    if any("stock" in item for item in items):
        raise ValueError("records carry no stock: use sdk.set_stock with your origin")
    report = await import_source(runtime, records_source(items))
    errors = {error.line - 1: error.message for error in report.errors}
    return ProductUpserts(written=report.written, products=report.products, variants=report.variants,
                          errors=errors)
