"""What search engines read: ``/robots.txt``, ``/sitemap.xml``, canonical URLs
and schema.org structured data (Product with its Offers, BreadcrumbList) for
product pages.

Absolute URLs start with the ``store.base_url`` setting, the address shoppers
use (behind a proxy the request's own host may be an internal one).
"""
from __future__ import annotations

from typing import Any, Mapping
from xml.sax.saxutils import escape

from quart import Blueprint, Response, current_app

from engine.catalog import services as catalog
from engine.db.sql import reading
from engine.money import Money

blueprint = Blueprint("storefront_seo", __name__)

#: Paths that are no use in a search index (per-visitor pages and the back office).
DISALLOWED = ("/admin", "/account", "/cart", "/checkout", "/orders/", "/api/")


def base_url() -> str:
    return current_app.settings.store.base_url.rstrip("/")


def absolute(path: str) -> str:
    return base_url() + path


@blueprint.get("/robots.txt")
async def robots() -> Response:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "",
             f"Sitemap: {absolute('/sitemap.xml')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


@blueprint.get("/sitemap.xml")
async def sitemap() -> Response:
    async with reading():
        pages = await catalog.published_pages()
    entries = [(absolute("/"), None)]
    entries += [(absolute(f"/c/{category['slug']}"), None) for category in pages["categories"]]
    entries += [(absolute(f"/p/{product['slug']}"), (product["updated_at"] or "")[:10] or None)
                for product in pages["products"]]
    body = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for location, modified in entries:
        lastmod = f"<lastmod>{escape(modified)}</lastmod>" if modified else ""
        body.append(f"<url><loc>{escape(location)}</loc>{lastmod}</url>")
    body.append("</urlset>")
    return Response("\n".join(body) + "\n", mimetype="application/xml")


def _price_text(price: Mapping[str, Any]) -> str:
    return str(Money(int(price["amount"]), str(price["currency"])).as_decimal())


def product_structured_data(product: Mapping[str, Any]) -> list[dict[str, Any]]:
    """schema.org ``Product`` (one ``Offer`` per variant, with price, currency,
    availability and SKU) and, when the product is in a category, a
    ``BreadcrumbList`` — as JSON-LD objects."""
    url = absolute(f"/p/{product['slug']}")
    offers = [{
        "@type": "Offer", "sku": variant["sku"], "url": url,
        "price": _price_text(variant["price"]), "priceCurrency": variant["price"]["currency"],
        "availability": "https://schema.org/" + ("InStock" if variant.get("in_stock") else "OutOfStock"),
    } for variant in product.get("variants") or []]
    data: list[dict[str, Any]] = [{
        "@context": "https://schema.org", "@type": "Product", "name": product["title"], "url": url,
        **({"description": product["description"]} if product.get("description") else {}),
        **({"image": [absolute(i["url"]) if i["url"].startswith("/") else i["url"] for i in product["images"]]}
           if product.get("images") else {}),
        **({"sku": offers[0]["sku"]} if len(offers) == 1 else {}),
        "offers": offers,
    }]
    if product.get("categories"):
        category = product["categories"][0]
        data.append({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": absolute("/")},
            {"@type": "ListItem", "position": 2, "name": category["name"], "item": absolute(f"/c/{category['slug']}")},
            {"@type": "ListItem", "position": 3, "name": product["title"], "item": url},
        ]})
    return data
