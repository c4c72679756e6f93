"""What search engines read: robots.txt pointing at the sitemap, a sitemap of
the published catalog, canonical URLs on store.base_url, and schema.org
Product / Offer / BreadcrumbList data on product pages."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from engine.testing.themes import seed_sample_catalog

BASE = "https://shop.example"


@pytest.fixture
async def seo_shop(make_app):
    app = await make_app(store={"currency": "EUR", "locale": "en", "base_url": BASE + "/"})
    await seed_sample_catalog(app.runtime)
    return app


async def test_robots_names_the_sitemap_and_keeps_private_pages_out(seo_shop):
    response = await seo_shop.test_client().get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = await response.get_data(as_text=True)
    assert f"Sitemap: {BASE}/sitemap.xml" in text.splitlines()
    for path in ("/admin", "/account", "/cart", "/checkout", "/api/"):
        assert f"Disallow: {path}" in text.splitlines()


async def test_the_sitemap_lists_published_products_and_categories(seo_shop):
    response = await seo_shop.test_client().get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(await response.get_data())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    assert f"{BASE}/" in locations and f"{BASE}/c/clothing" in locations
    assert f"{BASE}/p/oxford-shirt" in locations
    assert f"{BASE}/p/draft-mug" not in locations  # drafts are not public
    product = next(url for url in root.findall("s:url", ns) if url.find("s:loc", ns).text == f"{BASE}/p/oxford-shirt")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", product.find("s:lastmod", ns).text)


async def test_product_pages_carry_a_canonical_url_and_structured_data(seo_shop):
    body = await (await seo_shop.test_client().get("/p/oxford-shirt?size=L&colour=Red")).get_data(as_text=True)
    assert f'<link rel="canonical" href="{BASE}/p/oxford-shirt">' in body
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert len(blocks) == 1
    product, breadcrumbs = json.loads(blocks[0])
    assert product["@type"] == "Product" and product["name"] == "Oxford shirt"
    assert product["url"] == f"{BASE}/p/oxford-shirt"
    assert all(image.startswith(BASE + "/") for image in product["image"])
    offers = {offer["sku"]: offer for offer in product["offers"]}
    assert offers["OXFORD-SHIRT-L-R"]["price"] == "51.00" and offers["OXFORD-SHIRT-L-R"]["priceCurrency"] == "EUR"
    assert offers["OXFORD-SHIRT-L-R"]["availability"] == "https://schema.org/InStock"
    assert offers["OXFORD-SHIRT-M-R"]["availability"] == "https://schema.org/OutOfStock"
    assert breadcrumbs["@type"] == "BreadcrumbList"
    assert [item["position"] for item in breadcrumbs["itemListElement"]] == [1, 2, 3]
    assert breadcrumbs["itemListElement"][2]["item"] == f"{BASE}/p/oxford-shirt"


async def test_structured_data_cannot_break_out_of_its_script(seo_shop):
    from engine.catalog import services as catalog

    await catalog.save_product(seo_shop.runtime, {
        "slug": "tricky", "title": "</script><script>alert(1)</script>", "status": "published",
        "variants": [{"sku": "TRICKY-1", "price": {"amount": 100, "currency": "EUR"}, "stock": 1}]})
    body = await (await seo_shop.test_client().get("/p/tricky")).get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S).group(1)
    assert json.loads(block)[0]["name"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in body


async def test_listing_pages_are_canonical_without_filters_or_paging(seo_shop):
    body = await (await seo_shop.test_client().get("/c/clothing?sort=price_asc&material=linen")).get_data(as_text=True)
    assert f'<link rel="canonical" href="{BASE}/c/clothing">' in body
    assert "application/ld+json" not in body


@pytest.mark.parametrize("theme", ["default", "boutique"])
async def test_home_category_and_product_pages_pass_the_basic_audit(make_app, theme):
    """Each has a title, a meta description, one h1, alt text on every image and
    a label on every form field (engine.testing.themes.check_page_html)."""
    from engine.testing.themes import check_page_html

    app = await make_app(theme=theme)
    await seed_sample_catalog(app.runtime)
    client = app.test_client()
    for path in ("/", "/c/clothing", "/p/oxford-shirt"):
        body = await (await client.get(path)).get_data(as_text=True)
        assert f'data-theme="{theme}"' in body
        assert check_page_html(body) == [], path
        titles = re.findall(r"<title>([^<]+)</title>", body)
        assert len(titles) == 1 and titles[0].strip(), path
        descriptions = re.findall(r'<meta name="description" content="([^"]+)">', body)
        assert len(descriptions) == 1 and len(descriptions[0]) <= 163, (path, descriptions)
