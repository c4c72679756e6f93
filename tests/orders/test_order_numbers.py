"""Order numbers: ``checkout.order_number_prefix`` before numbers that count up
from ``checkout.order_number_start``; a prefixed number is found by the
shopper's link, the admin API and the admin's order search; a prefix that is
not capital letters, digits and hyphens is refused at start."""
from __future__ import annotations

import os
import re

import pytest

from engine.settings import SettingsError, load_settings
from engine.testing import api_token
from engine.testing.admin import staff_client
from engine.testing.checkout import add_product, cart_with, checkout


async def test_a_prefixed_number_is_given_and_found_everywhere(make_app, database_url):
    app = await make_app(database_url=database_url, checkout={"order_number_prefix": "SW-", "order_number_start": 5000})
    await add_product(app.runtime, "TEE-1", price=2500, stock=5)
    client = app.test_client()
    placed = await (await checkout(client, await cart_with(client, "TEE-1", 1))).get_json()
    number = placed["number"]
    assert re.fullmatch(r"SW-5\d{3}", number), number
    shopper = await client.get(f"/api/v1/orders/{number}?token={placed['access_token']}")
    assert shopper.status_code == 200 and (await shopper.get_json())["number"] == number
    headers = {"Authorization": f"Bearer {await api_token('numbers', ['orders:read'])}"}
    assert (await client.get(f"/api/v1/admin/orders/{number}", headers=headers)).status_code == 200
    staff = await staff_client(app, role="support")
    found = await (await staff.get(f"/admin/orders?q={number}")).get_data(as_text=True)
    assert f"/admin/orders/{number}" in found
    assert (await staff.get(f"/admin/orders/{number}")).status_code == 200


@pytest.mark.parametrize("prefix", ["sw-", "-SW", "SW 1", "SW/", "ABCDEFGHIJKLM", "Ünï"])
def test_a_prefix_that_cannot_be_part_of_a_link_is_refused(prefix):
    with pytest.raises(SettingsError, match="order_number_prefix"):
        load_settings(config_path=os.devnull, environ={"SHOPWRIGHT_CHECKOUT__ORDER_NUMBER_PREFIX": prefix})
