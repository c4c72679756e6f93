"""With tax rates configured, catalog prices say whether they include tax
(the ``checkout.prices_include_tax`` setting), and the cart says why its total
is more than the prices shown."""
from __future__ import annotations

import re

import pytest

from engine.testing.checkout import add_product
from engine.testing.themes import seed_sample_catalog


@pytest.mark.parametrize("included", [False, True])
async def test_catalog_pages_say_whether_prices_include_tax(make_app, included):
    app = await make_app(checkout={"prices_include_tax": included})
    await seed_sample_catalog(app.runtime)
    client = app.test_client()
    before = await (await client.get("/p/oxford-shirt")).get_data(as_text=True)
    assert "purchase__tax" not in before  # no rates: nothing to say
    await app.runtime.host.configure("core_tax", {"rates": "DE=19", "label": "VAT"})
    note = "incl. VAT" if included else "plus VAT"
    product = await (await client.get("/p/oxford-shirt")).get_data(as_text=True)
    assert f'<p class="purchase__tax">{note}</p>' in product
    category = await (await client.get("/c/clothing")).get_data(as_text=True)
    assert category.count(f'<small class="price__tax">{note}</small>') == len(re.findall("product-card__price", category))


async def test_the_cart_says_tax_is_added_and_shows_it_once_known(make_app):
    app = await make_app()
    await add_product(app.runtime, "TEE-1", price=10000, stock=5, slug="tee", title="Linen tee")
    await app.runtime.host.configure("core_tax", {"rates": "DE=19", "label": "VAT"})
    client = app.test_client()
    page = await (await client.get("/p/tee")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    await client.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": "1"})
    cart = await (await client.get("/cart")).get_data(as_text=True)
    assert "Prices shown are plus VAT, which is added at checkout for your address." in cart
    await app.runtime.host.configure("core_tax", {"rates": "DE=19", "label": "VAT", "default_country": "DE"})
    cart = await (await client.get("/cart")).get_data(as_text=True)
    assert re.search(r"VAT 19%\s*\(added\)</th><td>€19\.00</td>", cart)
    assert "which is added at checkout" not in cart
