"""Only ISO 4217 codes, and only the shop's currency, are accepted for prices
and promotions (issue 20, item 8): ``ABC`` or ``XXX`` once made prices the
storefront showed and the cart refused."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.catalog import manage
from engine.money import is_currency
from engine.settings import StoreSettings

NOT_CURRENCIES = ["ABC", "XXX", "XTS", "EU", "EURO", "€", "eur1", ""]


def test_is_currency_knows_iso_4217():
    assert all(is_currency(code) for code in ("EUR", "USD", "JPY", "KWD", "CHF"))
    assert not any(is_currency(code) for code in [*NOT_CURRENCIES, "eur", None, 978])


def test_the_store_currency_setting_must_be_a_currency():
    assert StoreSettings(currency="usd").currency == "USD"
    for code in ("ABC", "XXX"):
        with pytest.raises(ValidationError, match="ISO 4217"):
            StoreSettings(currency=code)


async def test_prices_only_in_the_shops_currency(shop, token):
    client = shop.test_client()
    headers = await token("all")
    for code in [*NOT_CURRENCIES, "USD"]:
        response = await client.put("/api/v1/admin/variants/TOWEL/price", json={"amount": 100, "currency": code},
                                    headers=headers)
        assert response.status_code == 422, code
        assert "currency" in json_errors(await response.get_json()), code
        created = await client.post("/api/v1/admin/products", headers=headers, json={
            "slug": "priced", "title": "Priced", "variants": [{"sku": "PRICED-1", "price": {"amount": 100,
                                                                                         "currency": code}}]})
        assert created.status_code == 422, code
    assert (await manage.get_variant("TOWEL"))["price"] == {"amount": 900, "currency": "EUR"}
    kept = await client.put("/api/v1/admin/variants/TOWEL/price", json={"amount": 100, "currency": "eur"},
                            headers=headers)
    assert kept.status_code == 200
    assert (await kept.get_json())["price"] == {"amount": 100, "currency": "EUR"}


async def test_promotions_only_in_the_shops_currency(shop, token):
    client = shop.test_client()
    headers = await token("all")
    for code in ["XXX", "ABC", "USD"]:
        response = await client.post("/api/v1/admin/promotions", headers=headers, json={
            "name": "Ten off", "kind": "fixed", "value": "1000", "currency": code})
        assert response.status_code == 422, code
        assert "currency" in (await response.get_json())["errors"], code
    assert (await (await client.get("/api/v1/admin/promotions", headers=headers)).get_json())["items"] == []
    made = await client.post("/api/v1/admin/promotions", headers=headers, json={
        "name": "Ten off", "kind": "fixed", "value": "1000", "currency": "EUR"})
    assert made.status_code == 201


def json_errors(problem: dict) -> str:
    return " ".join(problem.get("errors", {}))
