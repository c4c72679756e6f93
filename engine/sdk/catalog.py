"""Reading the catalog: products, variants and attribute definitions as
small frozen dataclasses.

Every function takes the runtime first and returns published products (and
variants of published products) only, unless the caller asks for drafts
(``include_unpublished=True``, or ``status="draft"``/``"any"``). Inputs are
bounded: a page holds at most 200 products, one call reads at most 1,000
SKUs. Prices are :class:`~engine.money.Money`; attribute values are typed
(``number``: ``int`` or ``decimal.Decimal``, never a float; ``boolean``:
``bool``; ``text`` and ``choice``: ``str``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from engine.catalog import batch
from engine.money import Money

__all__ = ["Attribute", "Product", "ProductPage", "Variant", "attributes", "product", "products", "products_by_id",
           "variant", "variants"]


@dataclass(frozen=True)
class Variant:
    """A buyable variant. Stock is summed over the warehouses: ``available``
    = ``on_hand`` − ``reserved`` (never negative)."""

    id: int
    sku: str
    product_id: int
    product_slug: str
    product_title: str
    product_status: str
    options: Mapping[str, str]
    price: Money
    weight_grams: int
    on_hand: int
    reserved: int
    available: int
    position: int = 0


@dataclass(frozen=True)
class Product:
    """A product with its variants (in position order). ``status`` is
    ``published`` or ``draft``; ``categories`` are slugs; ``attributes`` maps
    an attribute code to its typed value; ``images`` are ``{url, alt}``."""

    id: int
    slug: str
    title: str
    description: str
    status: str
    tax_class: str
    currency: str
    categories: tuple[str, ...]
    attributes: Mapping[str, Any]
    images: tuple[Mapping[str, str], ...]
    variants: tuple[Variant, ...]
    created_at: datetime | None = None
    updated_at: datetime | None = None
    seo_title: str = ""
    seo_description: str = ""

    @property
    def published(self) -> bool:
        return self.status == "published"


@dataclass(frozen=True)
class Attribute:
    """An attribute definition: ``type`` is ``text``, ``number``, ``boolean``
    or ``choice`` (``choices`` lists the allowed values)."""

    code: str
    name: str
    type: str
    choices: tuple[str, ...] = ()
    filterable: bool = True
    position: int = 0


@dataclass(frozen=True)
class ProductPage:
    """A page of :func:`products`; pass ``next_cursor`` back for the next
    page (None: this was the last)."""

    items: tuple[Product, ...]
    next_cursor: str | None = None


def _variant(data: Mapping[str, Any]) -> Variant:
    return Variant(
        id=data["id"], sku=data["sku"], product_id=data["product_id"], product_slug=data["product_slug"],
        product_title=data["product_title"], product_status=data["product_status"], options=dict(data["options"]),
        price=Money(data["price_amount"], data["currency"]), weight_grams=data["weight_grams"],
        on_hand=data["on_hand"], reserved=data["reserved"], available=data["available"], position=data["position"])


def _product(data: Mapping[str, Any]) -> Product:
    return Product(
        id=data["id"], slug=data["slug"], title=data["title"], description=data["description"],
        status=data["status"], tax_class=data["tax_class"], currency=data["currency"],
        categories=tuple(data["categories"]), attributes=dict(data["attributes"]),
        images=tuple(dict(image) for image in data["images"]),
        variants=tuple(_variant(v) for v in data["variants"]), created_at=data["created_at"],
        updated_at=data["updated_at"], seo_title=data["seo_title"], seo_description=data["seo_description"])


async def product(runtime: Any, slug: str | None = None, *, id: int | None = None,
                  include_unpublished: bool = False) -> Product | None:
    """The product ``slug`` (or ``id``: give exactly one), or None when there
    is none (or it is a draft and ``include_unpublished`` is false); a
    malformed slug or id is :class:`~engine.sdk.InvalidInput`. Six queries.
    Example (a discount plugin looking at an attribute)::

        found = await sdk.product(runtime, "linen-shirt")
        if found and found.attributes.get("material") == "linen":
            ...
    """
    if (slug is None) == (id is None):
        raise ValueError("give a slug or an id, not both")
    product_id = await batch.product_id(slug) if slug is not None else id
    if product_id is None:
        return None
    found = await batch.load_products([product_id])
    if not found or (found[0]["status"] != "published" and not include_unpublished):
        return None
    return _product(found[0])


async def products(runtime: Any, *, status: str = "published", category: str | None = None,
                   updated_since: datetime | None = None, attributes: Mapping[str, Any] | None = None,
                   cursor: str | None = None, limit: int = 50) -> ProductPage:
    """A page of products in a stable order (by id), filtered by ``status``
    (``published``, ``draft`` or ``any``), ``category`` (a slug; its
    sub-categories count), ``updated_since`` (an aware datetime) and
    ``attributes`` (``{code: value}``, every one must match); ``limit`` from
    1 to 200. Raises :class:`~engine.sdk.InvalidInput` for an unknown
    category or attribute or a bad limit. Example (every product, drafts
    too)::

        cursor = None
        while True:
            page = await sdk.products(runtime, status="any", limit=200, cursor=cursor)
            for item in page.items:
                ...
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    """
    items, following = await batch.product_page(status, category, updated_since, attributes, cursor, limit)
    return ProductPage(tuple(_product(item) for item in items), following)


async def products_by_id(runtime: Any, ids: Sequence[int], *, include_unpublished: bool = False) -> list[Product]:
    """The products with these ids (up to 500; more is
    :class:`~engine.sdk.InvalidInput`), in the order given; unknown
    ids, and drafts unless ``include_unpublished``, are left out. About five
    queries, whatever the number. Example (what a stored list still allows)::

        shown = [p for p in await sdk.products_by_id(runtime, [4, 9, 2])
                 if any(v.available > 0 for v in p.variants)]
    """
    if isinstance(ids, (str, bytes)):
        raise ValueError("give a list of product ids, not one text")
    found = await batch.load_products(list(ids))
    return [_product(item) for item in found if include_unpublished or item["status"] == "published"]


async def variant(runtime: Any, sku: str, *, include_unpublished: bool = False) -> Variant | None:
    """The variant ``sku``, or None (unknown, or of a draft product unless
    ``include_unpublished``). Example::

        found = await sdk.variant(runtime, "TEE-M")
        if found and found.available < 3:
            ...
    """
    return (await variants(runtime, [sku], include_unpublished=include_unpublished)).get(sku)


async def variants(runtime: Any, skus: Sequence[str], *, include_unpublished: bool = False) -> dict[str, Variant]:
    """Variants by SKU, for up to 1,000 SKUs in one call (unknown SKUs, and
    variants of drafts unless ``include_unpublished``, are left out).
    Example (what an ERP needs to compare)::

        known = await sdk.variants(runtime, ["TEE-S", "TEE-M"], include_unpublished=True)
        on_hand = {sku: item.on_hand for sku, item in known.items()}
    """
    if isinstance(skus, str):
        raise ValueError("give a list of SKUs, not one text")
    found = await batch.variants_by_sku(list(skus), include_unpublished)
    return {sku: _variant(data) for sku, data in found.items()}


async def attributes(runtime: Any) -> list[Attribute]:
    """Every attribute definition, in position order. Example::

        codes = {attribute.code for attribute in await sdk.attributes(runtime) if attribute.filterable}
    """
    return [Attribute(code=row["code"], name=row["name"], type=row["type"], choices=tuple(row["choices"]),
                      filterable=row["filterable"], position=row["position"])
            for row in await batch.attribute_definitions()]
