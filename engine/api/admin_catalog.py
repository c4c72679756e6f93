"""Admin catalog API under ``/api/v1/admin`` (bearer tokens): products,
variants, prices, stock per warehouse, categories and warehouses.

Reads need ``catalog:read``, writes ``catalog:write``. Thin: request models
in, :mod:`engine.catalog.manage` / :mod:`engine.catalog.services` calls, dicts
out; every write goes through the catalog write services, so the outbox gets
``product_saved`` / ``stock_changed`` / ``product_deleted``. Errors are
problem documents: unknown resource 404, duplicate or reserved stock 409,
invalid input 422 with per-field ``errors``, bad cursor 400.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, current_app
from quart_schema import validate_querystring, validate_request, validate_response

from engine.api.schemas import JSONIn
from engine.web.guard import require_permission
from engine.catalog import manage, services
from engine.api.openapi import SHOP_CURRENCY
from engine.api.products import AttributeModel, CategoryRefModel, ImageModel, MoneyModel
from engine.errors import NotFound
from engine.money import MAX_AMOUNT

blueprint = Blueprint("admin_catalog_api", __name__, url_prefix="/api/v1/admin")

READ, WRITE = "catalog:read", "catalog:write"
Slug = Field(min_length=1, max_length=200, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SlugText = Annotated[str, Slug]
Quantity = Annotated[int, Field(ge=0, le=10**9)]
AttributeCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")]
OptionName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
OptionValue = Annotated[str, Field(max_length=200)]
AttributeValue = str | int | float | bool | None


class _In(JSONIn):
    model_config = ConfigDict(extra="forbid", strict=True)


def _given(data: BaseModel) -> dict[str, Any]:
    """The fields sent, a ``null`` meaning "not given" (except ``parent``: null is a root)."""
    return {key: value for key, value in data.model_dump(exclude_unset=True).items()
            if value is not None or key == "parent"}


# ---------------------------------------------------------------- input models
class MoneyIn(_In):
    amount: int = Field(ge=0, le=MAX_AMOUNT, description="Minor units (cents), at most 10^12")
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$", json_schema_extra=SHOP_CURRENCY,
                                 description="ISO 4217: the shop's currency; default: the same")


class ImageIn(_In):
    url: str = Field(min_length=1, max_length=1000)
    alt: str = Field(min_length=1, max_length=500)


class VariantIn(_In):
    sku: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
    options: dict[OptionName, OptionValue] = Field(default_factory=dict)
    price: MoneyIn
    weight_grams: int = Field(0, ge=0, le=10**9)
    stock: Quantity | dict[str, Quantity] | None = Field(
        None, description="On-hand quantity in the default warehouse, or {warehouse code: on hand}")


class ProductFields(_In):
    title: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=100_000)
    status: Literal["draft", "published"] | None = None
    seo_title: str | None = Field(None, max_length=300)
    seo_description: str | None = Field(None, max_length=1000)
    tax_class: str | None = Field(None, max_length=50)
    categories: list[SlugText] | None = Field(None, description="Category slugs")
    attributes: dict[AttributeCode, AttributeValue] | None = Field(None, description="Attribute code → value")
    images: list[ImageIn] | None = None
    variants: list[VariantIn] | None = Field(None, description="The full list of variants, matched by SKU")


class ProductIn(ProductFields):
    """A new product; lists default to empty, ``status`` to draft."""

    slug: str = Slug
    title: str = Field(min_length=1, max_length=300)


class ProductPatch(ProductFields):
    """The fields to change; lists replace what was stored."""


class VariantPatch(_In):
    options: dict[OptionName, OptionValue] | None = None
    price: MoneyIn | None = None
    weight_grams: int | None = Field(None, ge=0, le=10**9)


class StockIn(_In):
    on_hand: int = Field(ge=0, le=10**9)


class CategoryFields(_In):
    name: str | None = Field(None, max_length=200)
    parent: SlugText | None = Field(None, description="Parent category slug (null: a root)")
    description: str | None = Field(None, max_length=20_000)
    position: int | None = Field(None, ge=-10**6, le=10**6)
    seo_title: str | None = Field(None, max_length=300)
    seo_description: str | None = Field(None, max_length=1000)


class CategoryIn(CategoryFields):
    slug: str = Slug
    name: str = Field(min_length=1, max_length=200)


class CategoryPatch(CategoryFields):
    """The fields to change."""


class ProductListQuery(BaseModel):
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(50, ge=1, le=200)
    status: Literal["draft", "published"] | None = None
    q: str | None = Field(None, max_length=200, description="Text in the title or slug")


# ---------------------------------------------------------------- output models
class AdminVariantModel(BaseModel):
    id: int
    sku: str
    options: dict[str, str]
    price: MoneyModel
    quantity_available: int
    in_stock: bool
    weight_grams: int
    position: int


class VariantWithProductModel(AdminVariantModel):
    product: str


class VariantListModel(BaseModel):
    items: list[AdminVariantModel]


class AdminProductModel(BaseModel):
    id: int
    slug: str
    title: str
    description: str
    status: str
    seo_title: str
    seo_description: str
    tax_class: str
    images: list[ImageModel]
    categories: list[CategoryRefModel]
    attributes: dict[str, Any]
    attribute_list: list[AttributeModel]
    options: dict[str, list[str]]
    price_from: MoneyModel | None
    in_stock: bool
    variants: list[AdminVariantModel]
    created_at: str | None
    updated_at: str | None


class AdminProductSummaryModel(BaseModel):
    id: int
    slug: str
    title: str
    status: str
    price_from: MoneyModel | None
    variant_count: int
    updated_at: str | None


class AdminProductListModel(BaseModel):
    items: list[AdminProductSummaryModel]
    next_cursor: str | None


class StockLevelModel(BaseModel):
    warehouse: str
    on_hand: int
    reserved: int
    available: int


class VariantStockModel(BaseModel):
    sku: str
    quantity_available: int
    items: list[StockLevelModel]


class AdminCategoryModel(BaseModel):
    id: int
    slug: str
    name: str
    parent: str | None
    description: str
    position: int
    seo_title: str
    seo_description: str
    product_count: int


class AdminCategoryListModel(BaseModel):
    items: list[AdminCategoryModel]


class WarehouseModel(BaseModel):
    id: int
    code: str
    name: str
    is_default: bool


class WarehouseListModel(BaseModel):
    items: list[WarehouseModel]


# ---------------------------------------------------------------- errors
def _runtime():
    return current_app.runtime


def _product_input(data: BaseModel) -> dict[str, Any]:
    values = {key: value for key, value in data.model_dump(exclude_unset=True).items() if value is not None}
    for variant in values.get("variants") or []:
        if variant.get("stock") is None:
            variant.pop("stock", None)
    return values


async def _product_or_404(slug: str) -> dict[str, Any]:
    product = await manage.staff_product(slug)
    if product is None:
        raise NotFound(f"no product {slug!r}")
    return product


# ---------------------------------------------------------------- products
@blueprint.get("/products")
@require_permission(READ)
@validate_querystring(ProductListQuery)
@validate_response(AdminProductListModel, 200)
async def list_products(query_args: ProductListQuery):
    """Every product, drafts included, newest first; ``next_cursor`` pages on."""
    items, cursor = await manage.list_products(query_args.cursor, query_args.limit, query_args.status,
                                               query_args.q)
    return {"items": items, "next_cursor": cursor}


@blueprint.post("/products")
@require_permission(WRITE)
@validate_request(ProductIn)
@validate_response(AdminProductModel, 201)
async def create_product(data: ProductIn):
    """Create a product with its variants (409 when the slug is taken)."""
    return await manage.create_product(_runtime(), _product_input(data)), 201


@blueprint.get("/products/<slug>")
@require_permission(READ)
@validate_response(AdminProductModel, 200)
async def get_product(slug: str):
    """A product (drafts included) with its variants and their stock."""
    return await _product_or_404(slug)


@blueprint.patch("/products/<slug>")
@require_permission(WRITE)
@validate_request(ProductPatch)
@validate_response(AdminProductModel, 200)
async def update_product(slug: str, data: ProductPatch):
    """Change some fields of a product; ``variants`` (when given) is the full list."""
    return await manage.update_product(_runtime(), slug, _product_input(data))


@blueprint.delete("/products/<slug>")
@require_permission(WRITE)
async def delete_product(slug: str):
    """Delete a product (409 while an unpaid order holds its stock: archive it instead)."""
    await manage.delete_product(_runtime(), slug)
    return "", 204


@blueprint.post("/products/<slug>/archive")
@require_permission(WRITE)
@validate_response(AdminProductModel, 200)
async def archive_product(slug: str):
    """Take a product off the storefront (status ``draft``); it keeps its data."""
    return await manage.update_product(_runtime(), slug, {"status": "draft"})


# ---------------------------------------------------------------- variants
@blueprint.get("/products/<slug>/variants")
@require_permission(READ)
@validate_response(VariantListModel, 200)
async def list_variants(slug: str):
    """The variants of a product, in order."""
    return {"items": (await _product_or_404(slug))["variants"]}


@blueprint.post("/products/<slug>/variants")
@require_permission(WRITE)
@validate_request(VariantIn)
@validate_response(VariantWithProductModel, 201)
async def add_variant(slug: str, data: VariantIn):
    """Add a variant to a product (409 when the SKU exists)."""
    values = data.model_dump(exclude_unset=True)
    if values.get("stock") is None:
        values.pop("stock", None)
    return await manage.add_variant(_runtime(), slug, values), 201


@blueprint.get("/variants/<sku:sku>/stock")
@require_permission(READ)
@validate_response(VariantStockModel, 200)
async def get_stock(sku: str):
    """Stock of a variant in every warehouse."""
    return await manage.variant_stock(sku)


@blueprint.put("/variants/<sku:sku>/stock/<warehouse>")
@require_permission(WRITE)
@validate_request(StockIn)
@validate_response(StockLevelModel, 200)
async def set_stock(sku: str, warehouse: str, data: StockIn):
    """Set the on-hand quantity of a variant in a warehouse (reservations are kept)."""
    result = await services.set_stock(_runtime(), sku, warehouse, data.on_hand)
    return {key: result[key] for key in ("warehouse", "on_hand", "reserved", "available")}


@blueprint.put("/variants/<sku:sku>/price")
@require_permission(WRITE)
@validate_request(MoneyIn)
@validate_response(VariantWithProductModel, 200)
async def set_price(sku: str, data: MoneyIn):
    """Set a variant's price in minor units."""
    return await manage.set_price(_runtime(), sku, data.amount, data.currency)


@blueprint.get("/variants/<sku:sku>")
@require_permission(READ)
@validate_response(VariantWithProductModel, 200)
async def get_variant(sku: str):
    """One variant with its product's slug."""
    return await manage.get_variant(sku)


@blueprint.patch("/variants/<sku:sku>")
@require_permission(WRITE)
@validate_request(VariantPatch)
@validate_response(VariantWithProductModel, 200)
async def update_variant(sku: str, data: VariantPatch):
    """Change a variant's options, price or weight."""
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    return await manage.update_variant(_runtime(), sku, changes)


@blueprint.delete("/variants/<sku:sku>")
@require_permission(WRITE)
async def delete_variant(sku: str):
    """Remove a variant (409 while an unpaid order holds its stock)."""
    await manage.delete_variant(_runtime(), sku)
    return "", 204


@blueprint.get("/warehouses")
@require_permission(READ)
@validate_response(WarehouseListModel, 200)
async def list_warehouses():
    """The stock locations, the default first."""
    return {"items": await services.list_warehouses()}


# ---------------------------------------------------------------- categories
@blueprint.get("/categories")
@require_permission(READ)
@validate_response(AdminCategoryListModel, 200)
async def list_categories():
    """Every category, flat, with its parent's slug."""
    return {"items": await manage.list_categories()}


@blueprint.post("/categories")
@require_permission(WRITE)
@validate_request(CategoryIn)
@validate_response(AdminCategoryModel, 201)
async def create_category(data: CategoryIn):
    """Create a category (409 when the slug is taken)."""
    return await manage.create_category(_runtime(), _given(data)), 201


@blueprint.get("/categories/<slug>")
@require_permission(READ)
@validate_response(AdminCategoryModel, 200)
async def get_category(slug: str):
    """One category."""
    return await manage.get_category(slug)


@blueprint.patch("/categories/<slug>")
@require_permission(WRITE)
@validate_request(CategoryPatch)
@validate_response(AdminCategoryModel, 200)
async def update_category(slug: str, data: CategoryPatch):
    """Change some fields of a category (``parent: null`` makes it a root)."""
    return await manage.update_category(_runtime(), slug, _given(data))


@blueprint.delete("/categories/<slug>")
@require_permission(WRITE)
async def delete_category(slug: str):
    """Delete a category; its sub-categories become roots, its products stay."""
    await manage.delete_category(_runtime(), slug)
    return "", 204
