"""The demo catalog reads as a real shop: each product's pictures show its
kind of product, its attributes agree with its name, and pictures carry no
captions; a product without pictures shows a neutral placeholder; the home
page's call to action leads to products."""
from __future__ import annotations

import re

from engine.catalog import services
from engine.catalog.demo import ORGANIC_MATERIALS, TREE, _slug, seed_demo_catalog
from engine.catalog.placeholders import SHAPES, placeholder_svg

PICTURE_BY_CATEGORY = {_slug(f"{root} {leaf}"): picture
                       for root, groups in TREE for _, leaves in groups for leaf, _, _, picture, _ in leaves}


async def test_every_demo_product_is_pictured_as_what_it_is(make_app):
    app = await make_app()
    assert await seed_demo_catalog(app.runtime, products=120) == 120
    pages = await services.published_pages()
    assert len(pages["products"]) == 120
    kinds_seen = set()
    for entry in pages["products"]:
        product = await services.get_product(entry["slug"])
        picture = PICTURE_BY_CATEGORY[product["categories"][0]["slug"]]
        for image in product["images"]:
            kind = re.fullmatch(r"/media/placeholder/([a-z]+)--[a-z0-9-]+\.svg", image["url"]).group(1)
            assert kind == picture, (product["title"], image["url"])
            assert product["title"].lower() in image["alt"].lower()
        kinds_seen.add(picture)
        title = product["title"].lower().split()
        attributes = product["attributes"]
        if title[0] == "organic":
            assert attributes["organic"] is True and attributes["material"] in ORGANIC_MATERIALS, product["title"]
        for word, material in (("linen", "linen"), ("wool", "wool"), ("leather", "leather"), ("canvas", "cotton")):
            if word in title:
                assert attributes["material"] == material, product["title"]
        if picture == "mug":
            assert attributes["material"] == "ceramic" and attributes["care"] == "Dishwasher safe"
    assert kinds_seen == set(PICTURE_BY_CATEGORY.values())  # all 14 kinds appear in 120 products


def test_pictures_are_drawn_by_kind_and_carry_no_caption():
    dress = placeholder_svg("dress--coastal-wrap-dress-1")
    mug = placeholder_svg("mug--coastal-wrap-dress-1")
    assert SHAPES["dress"] in dress and SHAPES["mug"] in mug
    assert "<text" not in dress and "coastal" not in dress
    assert placeholder_svg("dress--coastal-wrap-dress-1") == dress  # the same every time
    assert placeholder_svg("no-kind-here")  # older names still draw something


async def test_a_product_without_pictures_shows_a_placeholder(make_app):
    app = await make_app()
    await services.save_product(app.runtime, {
        "slug": "bare", "title": "Bare product", "status": "published",
        "variants": [{"sku": "BARE-1", "price": {"amount": 500, "currency": "EUR"}, "stock": 3}]})
    client = app.test_client()
    page = await (await client.get("/p/bare")).get_data(as_text=True)
    assert '<img src="/media/placeholder/none--image.svg" alt="No picture of Bare product yet"' in page
    listing = await (await client.get("/search?q=bare")).get_data(as_text=True)
    assert 'src="/media/placeholder/none--image.svg" alt="No picture yet"' in listing
    assert (await client.get("/media/placeholder/none--image.svg")).status_code == 200


async def test_the_home_page_call_to_action_leads_to_products(make_app):
    app = await make_app()
    await seed_demo_catalog(app.runtime, products=30)
    client = app.test_client()
    home = await (await client.get("/")).get_data(as_text=True)
    link = re.search(r'<a class="button" href="([^"]+)">See what is new</a>', home).group(1)
    assert link == "/search?sort=newest"
    page = await (await client.get(link)).get_data(as_text=True)
    assert "<h1>All products</h1>" in page
    assert len(re.findall(r'class="product-card__title"', page)) == 24  # a full first page
