"""The shipping rates plugin as an installed distribution: discovery,
enabling, settings validation and encrypted secrets (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.sdk import PluginError
from engine.testing import check_installed, check_secret_at_rest, stored_plugin_settings
from shopwright_shipping_rates import plugin
from shopwright_shipping_rates.settings import ShippingRatesSettings, iso_countries

NAME = "shipping_rates"


def test_entry_point_loads_without_error():
    check_installed(NAME, plugin, "shopwright-shipping-rates")


async def test_enables_unconfigured_with_documented_defaults(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    assert host.is_active(NAME)
    assert host.status_of(NAME).error is None
    assert host.shown_settings(NAME) == {
        "api_base": "",
        "api_key": "",
        "origin_country": "DE",
        "timeout_seconds": 3.0,
        "max_amount": 100000,
    }
    await host.disable(NAME)
    assert not host.is_active(NAME)


async def test_secret_is_stored_encrypted_and_shown_masked(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    # Values as the CLI passes them: strings.
    await host.configure(NAME, {
        "api_base": "http://127.0.0.1:9100/",
        "api_key": "rates-key-123",
        "origin_country": "at",
        "timeout_seconds": "1.5",
    })
    stored = await stored_plugin_settings(NAME)
    assert stored["api_base"] == "http://127.0.0.1:9100"
    assert stored["origin_country"] == "AT"
    assert stored["timeout_seconds"] == 1.5
    await check_secret_at_rest(host, NAME, "api_key", "rates-key-123")


async def test_invalid_value_is_refused_and_nothing_written(make_app, sqlite_url):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    host = app.runtime.host
    await host.configure(NAME, {"api_key": "first"})
    before = await stored_plugin_settings(NAME)
    with pytest.raises(PluginError, match="origin_country"):
        await host.configure(NAME, {"api_key": "second", "origin_country": "Germany"})
    assert await stored_plugin_settings(NAME) == before
    assert host.settings_for(NAME).api_key == "first"


def test_country_list_is_iso_3166_alpha_2():
    codes = iso_countries()
    assert len(codes) == 249
    assert {"DE", "US", "GB", "AX", "SS"} <= codes
    assert not {"EU", "UN", "ZZ", "XK"} & codes


@pytest.mark.parametrize("values", [
    {"api_base": "https://rates.example.com/v1"},
    {"origin_country": "us"},
    {"timeout_seconds": 30},
    {"timeout_seconds": "0.5"},
])
def test_settings_accept(values):
    ShippingRatesSettings.model_validate(values)


@pytest.mark.parametrize("values, field", [
    ({"api_base": "rates.example.com"}, "api_base"),
    ({"api_base": "file:///etc/passwd"}, "api_base"),
    ({"origin_country": "DEU"}, "origin_country"),
    ({"origin_country": "EU"}, "origin_country"),
    ({"origin_country": "XX"}, "origin_country"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
    ({"timeout_seconds": 31}, "timeout_seconds"),
    ({"timeout_seconds": "soon"}, "timeout_seconds"),
    ({"api_key": "a b"}, "api_key"),
])
def test_settings_reject(values, field):
    with pytest.raises(ValidationError) as info:
        ShippingRatesSettings.model_validate(values)
    assert [e["loc"] for e in info.value.errors()] == [(field,)]
