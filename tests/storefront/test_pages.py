"""Storefront pages render the catalog through the active theme, work without
JavaScript and pass the structural accessibility checks."""
from __future__ import annotations

import html
import json
import re

import pytest

from engine.storefront import listing
from engine.testing.themes import check_page_html

PAGES = ["/", "/c/clothing", "/c/shirts", "/p/oxford-shirt", "/p/stoneware-mug", "/search?q=shirt", "/search",
         "/cart", "/checkout", "/checkout?step=payment", "/account/", "/account/login", "/account/signup"]


async def _page(app, path: str, status: int = 200) -> str:
    response = await app.test_client().get(path)
    body = await response.get_data(as_text=True)
    assert response.status_code == status, (path, body[:500])
    assert response.content_type == "text/html; charset=utf-8"
    return body


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_renders_accessibly(sqlite_shop, path):
    body = await _page(sqlite_shop, path)
    assert check_page_html(body) == [], path
    # everything works without JavaScript; scripts only enhance, from files (no inline code)
    for tag in re.findall(r"<script[^>]*>", body):
        assert (re.fullmatch(r'<script src="/static/theme/[^"]+\.js" defer>', tag)
                or tag == '<script type="application/ld+json">'), tag  # data for search engines: runs nothing


async def test_pages_render_on_both_databases(shop):
    home = await _page(shop, "/")
    assert "Featured products" in home
    # the featured collection, in its order
    assert home.index("Linen shirt") < home.index("Oxford shirt") < home.index("Stoneware mug")
    assert "Draft mug" not in home
    category = await _page(shop, "/c/clothing")
    for title in ("Oxford shirt", "Linen shirt", "Chino trousers"):
        assert title in category  # products of sub-categories too
    assert "Stoneware mug" not in category
    product = await _page(shop, "/p/oxford-shirt")
    assert "€49.00" in product and "OXFORD-SHIRT-S-B" in product


async def test_home_shows_banners_and_category_tiles(sqlite_shop):
    body = await _page(sqlite_shop, "/")
    assert "New season, new favourites" in body
    assert re.search(r'<img class="banner__image" src="/static/theme/default/[0-9a-f]{12}/images/banner-1.svg" '
                     r'alt="Abstract shapes in the store colours"', body)
    assert 'href="/c/clothing"' in body and 'href="/c/home"' in body


async def test_category_breadcrumb_subcategories_and_stock_state(sqlite_shop):
    body = await _page(sqlite_shop, "/c/shirts")
    assert re.search(r'<a href="/c/clothing">Clothing</a>', body)
    assert 'aria-current="page">Shirts</a>' in body
    assert "Sold-out shirt" in body and "Out of stock" in body


async def test_filters_by_attribute_option_and_price(sqlite_shop):
    body = await _page(sqlite_shop, "/c/clothing?material=linen")
    assert "Linen shirt" in body and "Oxford shirt" not in body
    assert re.search(r'name="material" value="linen" checked', body)
    body = await _page(sqlite_shop, "/c/clothing?waist=32")
    assert "Chino trousers" in body and "Linen shirt" not in body
    body = await _page(sqlite_shop, "/c/clothing?min_price=50&max_price=60")
    assert "Linen shirt" in body and "Oxford shirt" not in body and "Chino trousers" not in body
    assert 'name="min_price" value="50"' in body
    body = await _page(sqlite_shop, "/c/clothing?organic=true")
    assert "Oxford shirt" in body and "Linen shirt" not in body


async def test_bad_filter_values_are_explained_not_fatal(sqlite_shop):
    body = await _page(sqlite_shop, "/c/clothing?min_price=abc&sort=sideways&material=unknown")
    assert "Minimum price must be a positive amount." in body
    assert "Unknown sort order" in body
    assert "Oxford shirt" in body  # unknown facet value ignored
    body = await _page(sqlite_shop, "/c/clothing?cursor=forged")
    assert "Oxford shirt" in body and 'role="status"' in body


async def test_sorting(sqlite_shop):
    cheap_first = await _page(sqlite_shop, "/c/clothing?sort=price_asc")
    dear_first = await _page(sqlite_shop, "/c/clothing?sort=price_desc")
    assert cheap_first.index("Sold-out shirt") < cheap_first.index("Chino trousers")
    assert dear_first.index("Chino trousers") < dear_first.index("Sold-out shirt")
    assert '<option value="price_desc" selected>' in dear_first


async def test_keyset_pagination_links(sqlite_shop, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    first = await _page(sqlite_shop, "/c/clothing?sort=price_asc&material=cotton&material=linen")
    next_url = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', first).group(1).replace("&amp;", "&")
    assert "cursor=" in next_url and "sort=price_asc" in next_url and next_url.count("material=") == 2
    assert "First page" not in first
    second = await _page(sqlite_shop, next_url)
    titles = lambda body: re.findall(r'product-card__title">([^<]+)<', body)  # noqa: E731
    assert titles(first) == ["Sold-out shirt", "Oxford shirt"]
    assert titles(second) == ["Linen shirt", "Chino trousers"]
    assert "First page" in second and 'rel="next"' not in second


async def test_variant_picker_works_without_javascript(sqlite_shop):
    body = await _page(sqlite_shop, "/p/oxford-shirt")
    # the option radios belong to the add-to-cart form
    assert re.search(r'<form method="post" action="/cart" class="add-to-cart" id="buy"', body)
    assert re.search(r'form="buy" id="option-\d-\d" name="option:size" value="S" data-option="size" checked', body)
    assert 'formaction="/p/oxford-shirt/choose"' in body
    chosen = await _page(sqlite_shop, "/p/oxford-shirt?size=L&colour=Red")
    assert "OXFORD-SHIRT-L-R" in chosen and "€51.00" in chosen
    assert re.search(r'name="option:size" value="L" data-option="size" checked', chosen)
    assert re.search(r'name="option:colour" value="Red" data-option="colour" checked', chosen)
    assert 'name="sku" value="OXFORD-SHIRT-L-R"' in chosen
    # M/Red is sold out: shown, marked, cannot be added
    sold_out = await _page(sqlite_shop, "/p/oxford-shirt?size=M&colour=Red")
    assert "OXFORD-SHIRT-M-R" in sold_out and "Out of stock" in sold_out
    assert re.search(r'<button type="submit" class="button" disabled>Sold out</button>', sold_out)
    assert "(sold out)" in (await _page(sqlite_shop, "/p/oxford-shirt?size=M&colour=Blue"))
    by_sku = await _page(sqlite_shop, "/p/oxford-shirt?sku=OXFORD-SHIRT-S-R")
    assert 'name="sku" value="OXFORD-SHIRT-S-R"' in by_sku
    nonsense = await _page(sqlite_shop, "/p/oxford-shirt?size=XXL")
    assert 'name="sku" value="OXFORD-SHIRT-S-B"' in nonsense  # unknown values ignored
    # every variant for the enhancing script, its price as displayed
    data = json.loads(html.unescape(re.search(r"data-variants='([^']*)'", body).group(1)))
    assert {"sku": "OXFORD-SHIRT-L-R", "options": {"size": "L", "colour": "Red"}, "price": "€51.00",
            "in_stock": True} .items() <= next(v for v in data if v["sku"] == "OXFORD-SHIRT-L-R").items()


async def test_show_this_selection_posts_the_options_and_comes_back_to_them(sqlite_shop):
    client = sqlite_shop.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      await (await client.get("/p/oxford-shirt")).get_data(as_text=True)).group(1)
    response = await client.post("/p/oxford-shirt/choose", form={"csrf_token": token, "option:size": "L", "option:colour": "Red",
                                                                 "sku": "OXFORD-SHIRT-S-B", "quantity": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/p/oxford-shirt?size=L&colour=Red"


async def test_add_to_cart_adds_the_chosen_options_not_the_variant_shown(sqlite_shop):
    """The shopper picks L / Red on a page showing S / Blue and presses "Add to
    cart" straight away: L / Red is added."""
    client = sqlite_shop.test_client()
    body = await _page(sqlite_shop, "/p/oxford-shirt")
    assert 'name="sku" value="OXFORD-SHIRT-S-B"' in body
    token = re.search(r'name="csrf_token" value="([^"]+)"', await (await client.get("/p/oxford-shirt")).get_data(as_text=True)).group(1)
    added = await client.post("/cart", form={"csrf_token": token, "product": "oxford-shirt", "sku": "OXFORD-SHIRT-S-B",
                                             "option:size": "L", "option:colour": "Red", "quantity": "1"})
    assert added.status_code == 303
    cart = await (await client.get("/cart")).get_data(as_text=True)
    assert "OXFORD-SHIRT-L-R" in cart and "OXFORD-SHIRT-S-B" not in cart
    missing = await client.post("/cart", form={"csrf_token": token, "product": "oxford-shirt",
                                               "option:size": "XXL", "option:colour": "Red", "quantity": "1"})
    assert missing.status_code == 422
    assert "Oxford shirt is not available as XXL / Red: choose other options." in await missing.get_data(as_text=True)


async def test_add_to_cart_form_and_gallery(sqlite_shop):
    body = await _page(sqlite_shop, "/p/oxford-shirt?image=2")
    assert re.search(r'<form method="post" action="/cart" class="add-to-cart" id="buy" data-variants=\'[^\']*\'>\s*'
                     r'<input type="hidden" name="csrf_token" value="[^"]+">', body)
    assert '<label for="quantity">Quantity</label>' in body
    main = re.search(r'<figure class="gallery__main">\s*<img src="([^"]+)" alt="([^"]+)"', body)
    assert main.groups() == ("/media/placeholder/oxford-shirt-back.svg", "Oxford shirt, back")


async def test_search(sqlite_shop):
    body = await _page(sqlite_shop, "/search?q=linen")
    assert "Linen shirt" in body and "Oxford shirt" not in body
    assert 'value="linen"' in body
    assert "Nothing matches" in await _page(sqlite_shop, "/search?q=zzzzqqq")


async def test_unknown_and_draft_pages_are_themed_404s(sqlite_shop):
    for path in ("/p/draft-mug", "/p/nope", "/c/nope", "/no/such/page"):
        body = await _page(sqlite_shop, path, 404)
        assert "Page not found" in body and check_page_html(body) == []
    response = await sqlite_shop.test_client().get("/api/v1/no-such-endpoint")
    assert response.status_code == 404 and response.content_type == "application/problem+json"


async def test_placeholder_pages(sqlite_shop):
    client = sqlite_shop.test_client()
    response = await client.get("/orders/SW-1001")
    assert response.status_code == 404
    assert "Order SW-1001" in await response.get_data(as_text=True)
    assert (await client.get("/account/orders")).status_code == 303
    checkout = await _page(sqlite_shop, "/checkout")
    assert 'aria-current="step">1. Contact' in checkout
    assert 'autocomplete="postal-code"' in checkout


async def test_add_to_cart_needs_the_csrf_token_of_the_session(sqlite_shop):
    client = sqlite_shop.test_client()
    product = await (await client.get("/p/oxford-shirt")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', product).group(1)
    form = {"sku": "OXFORD-SHIRT-S-B", "quantity": "1"}
    refused = await client.post("/cart", form=form)
    assert refused.status_code in (400, 403)
    forged = await client.post("/cart", form={**form, "csrf_token": "forged"})
    assert forged.status_code in (400, 403)
    assert "OXFORD-SHIRT-S-B" not in await (await client.get("/cart")).get_data(as_text=True)
    added = await client.post("/cart", form={**form, "csrf_token": token})
    assert added.status_code == 303
    assert "OXFORD-SHIRT-S-B" in await (await client.get("/cart")).get_data(as_text=True)


async def test_money_is_formatted_for_the_store_locale(make_app):
    from engine.testing.themes import seed_sample_catalog

    app = await make_app(store={"locale": "de_DE", "currency": "EUR"})
    await seed_sample_catalog(app.runtime)
    body = await (await app.test_client().get("/p/oxford-shirt")).get_data(as_text=True)
    assert "49,00\xa0€" in body
    from engine.storefront.rendering import format_money

    assert format_money({"amount": 1500, "currency": "JPY"}, "en") == "¥1,500"
    assert format_money({"amount": 1234, "currency": "KWD"}, "en") == "KWD1.234"
    with pytest.raises(TypeError):
        format_money(12.5, "en")


async def test_the_product_grid_shows_the_same_card_as_product_card(sqlite_shop):
    """``product_grid`` writes the card out instead of calling
    ``product_card`` (see macros/catalog.html): the two must not drift."""
    import re

    items = [
        {"id": 1, "slug": "a-shirt", "title": "A <shirt>", "price_from": {"amount": 1999, "currency": "EUR"},
         "image": {"url": "/media/a.svg", "alt": "A \"shirt\""}, "in_stock": True},
        {"id": 2, "slug": "b-mug", "title": "B mug", "price_from": None, "image": None, "in_stock": False},
    ]
    await sqlite_shop.runtime.host.configure("core_tax", {"rates": "DE=19", "label": "VAT"})
    source = ('{% from "macros/catalog.html" import product_grid, product_card %}'
              '{{ product_grid(items, 2) }}@@{% for item in items %}{{ product_card(item, 2, tax_note()) }}{% endfor %}')
    async with sqlite_shop.test_request_context("/"):
        environment = sqlite_shop.theme_state.view().environment
        grid, cards = environment.from_string(source).render(items=items).split("@@")

    def articles(html: str) -> list[str]:
        return [re.sub(r"\s+", " ", found) for found in re.findall(r"<article.*?</article>", html, re.S)]

    assert len(articles(grid)) == 2 and "plus VAT" in grid and "&lt;shirt&gt;" in grid
    assert articles(grid) == articles(cards)
