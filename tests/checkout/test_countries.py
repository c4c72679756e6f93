"""Where the shop ships: the ``store.countries`` setting drives the country
select of the checkout's address form (names in the store's locale), refuses
other countries with a message that lists where the shop does ship, and the
JSON API refuses them the same way."""
from __future__ import annotations

import re

import pytest

from engine.settings import SettingsError, load_settings
from engine.testing.checkout import ADDRESS, add_product, checkout_body
from tests.checkout.test_storefront_checkout import address_form, csrf


@pytest.fixture
async def shop(make_app):
    app = await make_app(store={"countries": ["DE", "AT", "CH"], "locale": "de"})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="tee", title="Linen tee")
    return app


async def _with_cart(app):
    client = app.test_client()
    token = await csrf(client, "/p/tee")
    await client.post("/cart", form={"csrf_token": token, "sku": "TEE-1", "quantity": "1"})
    return client, token


async def test_the_country_is_a_select_of_the_shipping_countries_named_in_the_store_locale(shop):
    client, _ = await _with_cart(shop)
    page = await (await client.get("/checkout")).get_data(as_text=True)
    select = re.search(r'<select id="field-shipping_country" name="shipping_country"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no country select"
    options = re.findall(r'<option value="([A-Z]*)"[^>]*>([^<]+)</option>', select.group(1))
    assert options[0] == ("", "Choose…")
    assert options[1:] == [("DE", "Deutschland"), ("AT", "Österreich"), ("CH", "Schweiz")]  # by name, accents aside
    # a billing address may be anywhere
    billing_page = await (await client.get("/checkout?step=contact")).get_data(as_text=True)
    assert 'class="checkout-summary"' in billing_page and "Linen tee" in billing_page


async def test_an_address_elsewhere_is_refused_saying_where_the_shop_ships(shop):
    client, token = await _with_cart(shop)
    answer = await client.post("/checkout", form={"csrf_token": token, "step": "contact", "email": "ada@example.test",
                                                  **address_form("shipping", {**ADDRESS, "country": "FR",
                                                                              "postal_code": "75001", "city": "Paris"})})
    assert answer.status_code == 422
    page = await answer.get_data(as_text=True)
    assert "we do not ship to Frankreich; we ship to Deutschland, Österreich, Schweiz" in page
    accepted = await client.post("/checkout", form={"csrf_token": token, "step": "contact",
                                                    "email": "ada@example.test", **address_form("shipping", ADDRESS)})
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/checkout?step=shipping"


async def test_the_api_refuses_the_same_address(shop):
    client = shop.test_client()
    cart = (await (await client.post("/api/v1/carts", json={})).get_json())["id"]
    await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": "TEE-1", "quantity": 1})
    body = checkout_body()
    body["shipping_address"] = {**ADDRESS, "country": "FR", "postal_code": "75001", "city": "Paris"}
    answer = await client.post(f"/api/v1/carts/{cart}/checkout", json=body, headers={"Idempotency-Key": "fr-1"})
    assert answer.status_code == 422
    problem = await answer.get_json()
    assert problem["errors"]["shipping_address.country"].startswith("we do not ship to Frankreich")


async def test_billing_fields_sit_in_a_block_the_same_as_shipping_box_hides(make_app):
    app = await make_app()
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="tee", title="Linen tee")
    client, token = await _with_cart(app)
    await client.post("/checkout", form={"csrf_token": token, "step": "contact", "email": "ada@example.test",
                                         **address_form("shipping", ADDRESS)})
    await client.post("/checkout", form={"csrf_token": token, "step": "shipping", "shipping_method": "flat_rate:standard"})
    page = await (await client.get("/checkout?step=payment")).get_data(as_text=True)
    assert re.search(r'<div class="billing-fields">\s*<div class="field">\s*<label for="field-billing_first_name">', page)
    options = re.findall(r'<option value="([A-Z]{2})"', page.split('name="billing_country"')[1].split("</select>")[0])
    assert len(options) > 200  # any country


def test_the_setting_takes_iso_codes_only():
    settings = load_settings(config_path=None, environ={"SHOPWRIGHT_STORE__COUNTRIES": "de, at ch"})
    assert settings.store.countries == ["DE", "AT", "CH"]
    with pytest.raises(SettingsError, match="ZZ"):
        load_settings(config_path=None, environ={"SHOPWRIGHT_STORE__COUNTRIES": "DE,ZZ"})


async def test_a_shipping_step_without_methods_says_the_shop_does_not_ship_there(make_app):
    app = await make_app(store={"countries": ["DE", "FR"]})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="tee", title="Linen tee")
    await app.runtime.host.configure("core_shipping", {"countries": ["FR"]})  # the only method ships to France
    client, token = await _with_cart(app)
    await client.post("/checkout", form={"csrf_token": token, "step": "contact", "email": "ada@example.test",
                                         **address_form("shipping", ADDRESS)})
    page = await (await client.get("/checkout?step=shipping")).get_data(as_text=True)
    assert ("We cannot ship to this address in Germany. We ship to: France, Germany. "
            "Check the address, or go back and enter another one.") in page
