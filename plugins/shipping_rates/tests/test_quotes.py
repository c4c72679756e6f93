"""The rate table stored in the plugin's tables quotes at the real API: the
shipping methods of a cart and an order placed with one (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from engine.money import Money
from engine.testing.admin import staff_client
from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout
from shopwright_shipping_rates import plugin
from shopwright_shipping_rates.provider import TableRates
from shopwright_shipping_rates.rate_csv import HEADER, read_rates, write_rates
from shopwright_shipping_rates.rates import RateTable
from shopwright_shipping_rates.store import load_rates, replace_rates

RATES = "\n".join([
    ",".join(HEADER),
    "Germany,DE AT,,standard,Standard,weight,,1000,4.90,EUR",
    "Germany,DE AT,,standard,Standard,weight,1000,5000,6.90,EUR",
    "Germany,DE AT,,express,Express,flat,,,14.90,EUR",
    "Germany,DE AT,,bulky,Bulky goods,items,5,,25.00,EUR",
    "Islands,DE,18565 25845-25849,standard,Island ferry,subtotal,,50.00,9.90,EUR",
    "Islands,DE,18565 25845-25849,standard,Island ferry,subtotal,50.00,,0.00,EUR",
]) + "\n"


async def _shop(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    await replace_rates(app.runtime, read_rates(RATES, "EUR"))
    await add_product(app.runtime, "TEE-1", price=2500, stock=20, weight_grams=400)
    return app


async def _methods(client, cart: str, **query: str) -> dict[str, int]:
    response = await client.get(f"/api/v1/carts/{cart}/shipping-methods", query_string=query)
    assert response.status_code == 200, await response.get_json()
    body = await response.get_json()
    return {item["id"]: item["price"]["amount"] for item in body["items"] if item["provider"] == "shipping_rates"}


async def test_stored_table_reads_back_and_is_replaced_whole(make_app, database_url):
    app = await _shop(make_app, database_url)
    assert write_rates(await load_rates()) == write_rates(read_rates(RATES, "EUR"))
    smaller = read_rates(f"{','.join(HEADER)}\nAustria,AT,,standard,Standard,flat,,,7.00,EUR\n", "EUR")
    await replace_rates(app.runtime, smaller)
    assert await load_rates() == smaller


async def test_a_replace_that_fails_midway_leaves_the_old_table(make_app, database_url):
    app = await _shop(make_app, database_url)
    before = await load_rates()
    germany = before.zones[0]
    # Zone names are unique in the database: the second insert fails after the
    # deletes and the first zone's rows were written.
    twins = RateTable((germany, germany))
    with pytest.raises(Exception, match="(?i)unique"):
        await replace_rates(app.runtime, twins)
    assert await load_rates() == before


async def test_cart_shipping_methods_follow_zone_and_bands(make_app, database_url):
    app = await _shop(make_app, database_url)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 2)  # 800 g, 50.00 EUR, 2 items
    assert await _methods(client, cart, country="DE", postal_code="10117") == {
        "shipping_rates:standard": 490, "shipping_rates:express": 1490}
    assert await _methods(client, cart, country="DE") == {   # no postcode yet: the country-wide zone
        "shipping_rates:standard": 490, "shipping_rates:express": 1490}
    # the postcode range zone wins over the country: its subtotal band from 50.00 is free
    assert await _methods(client, cart, country="DE", postal_code="25846") == {"shipping_rates:standard": 0}
    assert await _methods(client, cart, country="FR", postal_code="75001") == {}

    await client.patch(f"/api/v1/carts/{cart}/lines/TEE-1", json={"quantity": 5})   # 2000 g, 5 items
    assert await _methods(client, cart, country="AT", postal_code="1010") == {
        "shipping_rates:standard": 690, "shipping_rates:express": 1490, "shipping_rates:bulky": 2500}
    await client.patch(f"/api/v1/carts/{cart}/lines/TEE-1", json={"quantity": 13})  # 5200 g: past the last band
    assert await _methods(client, cart, country="DE", postal_code="10117") == {
        "shipping_rates:express": 1490, "shipping_rates:bulky": 2500}


async def test_an_order_placed_with_a_table_rate_carries_its_price(make_app, database_url):
    app = await _shop(make_app, database_url)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 3)  # 1200 g, 75.00 EUR
    response = await checkout(client, cart, shipping_method="shipping_rates:standard",
                              shipping_address={**ADDRESS, "postal_code": "10117"})
    assert response.status_code == 201, await response.get_json()
    order = await response.get_json()
    assert order["shipping_method"]["id"] == "shipping_rates:standard"
    assert order["shipping_method"]["label"] == "Standard"
    assert order["shipping_method"]["price"] == {"amount": 690, "currency": "EUR"}
    assert order["totals"]["shipping"] == 690 and order["totals"]["total"] == 7500 + 690

    shown = await client.get(f"/api/v1/orders/{order['number']}", query_string={"token": order["access_token"]})
    assert (await shown.get_json())["shipping_method"]["price"]["amount"] == 690


async def test_a_method_not_offered_for_the_address_is_refused(make_app, database_url):
    app = await _shop(make_app, database_url)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 1)
    response = await checkout(client, cart, shipping_method="shipping_rates:express",
                              shipping_address={**ADDRESS, "postal_code": "18565"})   # island: standard only
    assert response.status_code == 422
    assert (await response.get_json())["errors"] == {"shipping_method": "not available for this address"}


async def test_provider_quotes_nothing_without_a_country(make_app, sqlite_url):
    from engine.testing.checkout import quote_request

    await _shop(make_app, sqlite_url)
    assert await TableRates().quotes(quote_request(country=None, postal_code=None, address=None)) == []
    assert [q.id for q in await TableRates().quotes(quote_request())] == [
        "shipping_rates:standard", "shipping_rates:express"]


async def test_quoting_reads_only_the_zones_of_the_country(make_app, sqlite_url):
    from shopwright_shipping_rates.store import load_rates_for

    await _shop(make_app, sqlite_url)
    germany = await load_rates_for("de")
    assert [(z.name, set(z.countries)) for z in germany.zones] == [("Germany", {"DE"}), ("Islands", {"DE"})]
    assert [(z.name, set(z.countries)) for z in (await load_rates_for("AT")).zones] == [("Germany", {"AT"})]
    assert (await load_rates_for("FR")).zones == ()


async def test_the_storefront_promise_follows_the_rate_table(make_app, database_url):
    app = await _shop(make_app, database_url)   # Germany never ships free: no promise
    client = app.test_client()

    async def banner() -> str | None:
        body = await (await client.get("/")).get_data(as_text=True)
        start = body.find('aria-label="Shipping"><p>')
        return body[start:].split("<p>", 1)[1].split("</p>", 1)[0] if start >= 0 else None

    assert await banner() is None
    free = RATES + "Germany,DE AT,,gift,Free over 60,subtotal,60.00,,0.00,EUR\n"
    await replace_rates(app.runtime, read_rates(free, "EUR"))
    # every zone ships free from its own threshold: Islands from 50.00, Germany from 60.00
    assert await banner() == "Free delivery on orders over €60.00"
    assert await TableRates().free_shipping_from("EUR") == Money(6000, "EUR")


EXTRAS = "\n".join([
    f"{','.join(HEADER)},handling_fee,min_order,max_order,min_days,max_days,tax_class",
    "Germany,DE,,standard,Standard,flat,,,4.90,EUR,1.10,,,2,4,reduced",
    "Germany,DE,,express,Express,flat,,,14.90,EUR,,,100.00,1,1,",
    "Germany,DE,,freight,Freight,flat,,,30.00,EUR,,100.00,,5,10,",
]) + "\n"


async def test_fee_limits_estimate_and_tax_class_reach_the_order(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    await app.runtime.host.configure("core_tax", {"rates": "DE=19, DE:reduced=7"})
    await replace_rates(app.runtime, read_rates(EXTRAS, "EUR"))
    await add_product(app.runtime, "TEE-1", price=2500, stock=20, weight_grams=400)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 2)   # 50.00 EUR: freight starts at 100.00
    listed = await (await client.get(f"/api/v1/carts/{cart}/shipping-methods",
                                     query_string={"country": "DE", "postal_code": "10117"})).get_json()
    table = {item["id"]: (item["price"]["amount"], item["estimated_days"])
             for item in listed["items"] if item["provider"] == "shipping_rates"}
    assert table == {"shipping_rates:standard": (600, [2, 4]), "shipping_rates:express": (1490, [1, 1])}

    response = await checkout(client, cart, shipping_method="shipping_rates:standard",
                              shipping_address={**ADDRESS, "postal_code": "10117"})
    assert response.status_code == 201, await response.get_json()
    order = await response.get_json()
    assert order["shipping_method"]["price"]["amount"] == 600 and order["shipping_method"]["estimated_days"] == [2, 4]
    # goods at 19 %, the shipping charge at the method's class "reduced", 7 %
    assert sorted((line["label"], line["amount"]["amount"]) for line in order["tax_lines"]) == [
        ("Tax 19%", 950), ("Tax 7%", 42)]
    assert order["totals"]["total"] == 5000 + 600 + 950 + 42

    page = await client.get(f"/orders/{order['number']}", query_string={"token": order["access_token"]})
    assert "2–4 business days" in await page.get_data(as_text=True)
    staff = await staff_client(app, permissions=["orders:read"])
    admin_page = await (await staff.get(f"/admin/orders/{order['number']}")).get_data(as_text=True)
    assert "Standard <span class=\"note\">(promised 2–4 business days)</span>" in admin_page

    bigger = await cart_with(client, "TEE-1", 4)   # 100.00 EUR: express ends below it, freight starts there
    listed = await (await client.get(f"/api/v1/carts/{bigger}/shipping-methods",
                                     query_string={"country": "DE"})).get_json()
    assert sorted(item["id"] for item in listed["items"] if item["provider"] == "shipping_rates") == [
        "shipping_rates:freight", "shipping_rates:standard"]
