"""Public catalog JSON API under ``/api/v1`` (read-only), plus the placeholder
image route. Thin: parameters in, service call, dict out. Errors are problem
documents: unknown sort, bad numbers → 422; a bad cursor → 400; a missing or
draft product → 404.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from quart import Blueprint, Response, current_app, request
from quart_schema import validate_querystring, validate_response

from engine.api import etags
from engine.money import MAX_AMOUNT
from engine.web.problems import Problem
from engine.catalog import services
from engine.db.sql import browsing
from engine.catalog.placeholders import placeholder_svg
from engine.protocols import SearchQuery

blueprint = Blueprint("catalog_api", __name__)

_KNOWN_PARAMS = {"q", "category", "cursor", "sort", "min_price", "max_price", "in_stock", "limit"}


class MoneyModel(BaseModel):
    amount: int
    currency: str


class ImageModel(BaseModel):
    url: str
    alt: str


class ProductSummaryModel(BaseModel):
    id: int
    slug: str
    title: str
    price_from: MoneyModel | None
    image: ImageModel | None
    in_stock: bool


class ProductListModel(BaseModel):
    items: list[ProductSummaryModel]
    next_cursor: str | None


class ProductQueryModel(BaseModel):
    """Other query parameters filter by attribute code or option name
    (``?material=linen&colour=Red``; repeat a name for any of several values)."""

    q: str = Field("", max_length=200)
    category: str | None = None
    cursor: str | None = Field(None, max_length=512)
    sort: Literal["relevance", "price_asc", "price_desc", "newest", "name_asc"] = "relevance"
    min_price: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="Minor units")
    max_price: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="Minor units")
    in_stock: bool | None = None
    limit: int = Field(24, ge=1, le=100)


class VariantModel(BaseModel):
    sku: str
    options: dict[str, str]
    price: MoneyModel
    quantity_available: int
    in_stock: bool
    weight_grams: int


class CategoryRefModel(BaseModel):
    slug: str
    name: str


class AttributeModel(BaseModel):
    code: str
    name: str
    type: str
    value: Any


class ProductModel(BaseModel):
    id: int
    slug: str
    title: str
    description: str
    seo_title: str
    seo_description: str
    images: list[ImageModel]
    categories: list[CategoryRefModel]
    attributes: dict[str, Any]
    attribute_list: list[AttributeModel]
    options: dict[str, list[str]]
    price_from: MoneyModel | None
    in_stock: bool
    variants: list[VariantModel]


class CategoryNodeModel(BaseModel):
    id: int
    slug: str
    name: str
    children: list[CategoryNodeModel]


class CategoryListModel(BaseModel):
    items: list[CategoryNodeModel]


@blueprint.get("/api/v1/products")
@validate_querystring(ProductQueryModel)
@validate_response(ProductListModel, 200)
async def list_products(query_args: ProductQueryModel):
    """Published products: full-text search, category (with sub-categories),
    filters, sort and keyset pagination (pass ``next_cursor`` back as ``cursor``)."""
    filters: dict[str, Any] = {}
    for name in request.args:
        if name not in _KNOWN_PARAMS:
            filters[name] = request.args.getlist(name)
    if query_args.min_price is not None:
        filters["min_price"] = query_args.min_price
    if query_args.max_price is not None:
        filters["max_price"] = query_args.max_price
    if query_args.in_stock:
        filters["in_stock"] = True
    query = SearchQuery(text=query_args.q, category=query_args.category or None, filters=filters,
                        sort=query_args.sort, cursor=query_args.cursor or None, limit=query_args.limit)
    async with browsing():
        items, next_cursor = await services.search_products(current_app.runtime, query)
    return {"items": items, "next_cursor": next_cursor}


@blueprint.get("/api/v1/products/<slug>")
@validate_response(ProductModel, 200)
async def show_product(slug: str):
    """One published product with its variants (``sku``, ``price``, ``quantity_available``)."""
    async with browsing():
        product = await services.get_product(slug)
    if product is None:
        raise Problem(404, "Not found", f"There is no product {slug!r}.")
    return product


@blueprint.get("/api/v1/categories")
@validate_response(CategoryListModel, 200)
async def list_categories():
    """The category tree."""
    async with browsing():
        return {"items": await services.category_tree()}


# ETags + If-None-Match (304) on the catalog reads; see engine.api.etags.
etags.enable(blueprint, "list_products", "show_product", "list_categories")


@blueprint.get("/media/placeholder/<name>.svg")
async def placeholder(name: str):
    """A generated placeholder image (deterministic: cached for a year)."""
    try:
        body = placeholder_svg(name)
    except ValueError:
        return Response("not found", status=404, content_type="text/plain")
    response = Response(body, content_type="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
