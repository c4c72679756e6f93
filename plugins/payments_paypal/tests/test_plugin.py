"""The PayPal plugin as an installed distribution: discovery, enabling,
settings validation and encrypted secrets (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError
from shopwright_payments_paypal import plugin
from shopwright_payments_paypal.settings import PayPalSettings

from engine.sdk import PluginError
from engine.testing import check_installed, check_secret_at_rest, stored_plugin_settings
from engine.testing.admin import staff_client

NAME = "payments_paypal"


def test_entry_point_loads_without_error():
    check_installed(NAME, plugin, "shopwright-payments-paypal")


async def test_enables_unconfigured_with_documented_defaults(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    assert host.is_active(NAME)
    assert host.status_of(NAME).error is None
    assert host.shown_settings(NAME) == {
        "client_id": "",
        "client_secret": "",
        "webhook_id": "",
        "intent": "capture",
        "api_base": "https://api-m.sandbox.paypal.com",
        "brand_name": "",
        "landing_page": "NO_PREFERENCE",
        "timeout_seconds": 20.0,
    }
    await host.disable(NAME)
    assert not host.is_active(NAME)


async def test_secret_is_stored_encrypted_and_shown_masked(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    await host.configure(NAME, {
        "client_id": "AbC-client_1",
        "client_secret": "EFg-secret_2",
        "webhook_id": "8PT597110X687430LKGECATA",
        "intent": "authorize",
        "api_base": "http://127.0.0.1:9000/",
    })
    stored = await stored_plugin_settings(NAME)
    assert stored["client_id"] == "AbC-client_1"
    assert stored["webhook_id"] == "8PT597110X687430LKGECATA"
    assert stored["intent"] == "authorize"
    assert stored["api_base"] == "http://127.0.0.1:9000"
    await check_secret_at_rest(host, NAME, "client_secret", "EFg-secret_2")
    assert host.shown_settings(NAME)["client_id"] == "AbC-client_1"


async def test_invalid_value_is_refused_and_nothing_written(make_app, sqlite_url):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    host = app.runtime.host
    await host.configure(NAME, {"client_secret": "first"})
    before = await stored_plugin_settings(NAME)
    with pytest.raises(PluginError, match="intent"):
        await host.configure(NAME, {"client_secret": "second", "intent": "sale"})
    assert await stored_plugin_settings(NAME) == before
    assert host.settings_for(NAME).client_secret == "first"


@pytest.mark.parametrize("values", [
    {"intent": "authorize"},
    {"api_base": "https://api-m.paypal.com"},
    {"client_id": " pasted-id\n"},
])
def test_settings_accept(values):
    PayPalSettings.model_validate(values)


def test_missing_names_what_is_not_configured_yet():
    assert [line.split(":")[0] for line in PayPalSettings().missing()] == ["client_id", "client_secret", "webhook_id"]
    assert PayPalSettings(client_id="a", client_secret="b", webhook_id="c").missing() == []


def _unused(values):
    PayPalSettings.model_validate(values)


@pytest.mark.parametrize("values, field", [
    ({"intent": "sale"}, "intent"),
    ({"api_base": "api-m.paypal.com"}, "api_base"),
    ({"api_base": "ftp://api-m.paypal.com"}, "api_base"),
    ({"client_id": "two words"}, "client_id"),
    ({"client_secret": "sec ret"}, "client_secret"),
    ({"webhook_id": "8PT 597"}, "webhook_id"),
    ({"landing_page": "BILLING"}, "landing_page"),
])
def test_settings_reject(values, field):
    with pytest.raises(ValidationError) as info:
        PayPalSettings.model_validate(values)
    assert [e["loc"] for e in info.value.errors()] == [(field,)]


async def test_admin_page_says_what_is_missing_and_no_gateway_until_configured(make_app, sqlite_url):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    owner = await staff_client(app)
    page = await (await owner.get(f"/admin/plugins/{NAME}")).get_data(as_text=True)
    assert "Missing:" in page and "client_secret" in page and "webhook_id" in page
    assert plugin.payment_gateways(app.runtime.host.settings_for(NAME)) == []
    await app.runtime.host.configure(NAME, {"client_id": "id", "client_secret": "secret", "webhook_id": "wh"})
    page = await (await owner.get(f"/admin/plugins/{NAME}")).get_data(as_text=True)
    assert "Missing:" not in page
    [gateway] = plugin.payment_gateways(app.runtime.host.settings_for(NAME))
    assert gateway.capabilities.flow == "redirect" and not gateway.capabilities.authorize_then_capture
