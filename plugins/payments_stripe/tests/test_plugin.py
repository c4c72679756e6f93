"""The Stripe plugin as an installed distribution: discovery, enabling,
settings validation and encrypted secrets (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError
from shopwright_payments_stripe import plugin
from shopwright_payments_stripe.settings import StripeSettings

from engine.sdk import PluginError
from engine.testing import check_installed, check_secret_at_rest, stored_plugin_settings

NAME = "payments_stripe"


def test_entry_point_loads_without_error():
    check_installed(NAME, plugin, "shopwright-payments-stripe")


async def test_enables_unconfigured_with_documented_defaults(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    assert host.is_active(NAME)
    assert host.status_of(NAME).error is None
    assert host.shown_settings(NAME) == {
        "publishable_key": "",
        "secret_key": "",
        "webhook_secret": "",
        "capture": "automatic",
        "api_base": "https://api.stripe.com",
        "js_url": "https://js.stripe.com/v3/",
        "card_entry": "card_element",
        "statement_descriptor": "",
        "webhook_tolerance_seconds": 300,
        "timeout_seconds": 20.0,
    }
    await host.disable(NAME)
    assert not host.is_active(NAME)


async def test_secrets_are_stored_encrypted_and_shown_masked(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    await host.configure(NAME, {
        "publishable_key": "pk_test_abc123",
        "secret_key": "sk_test_topsecret",
        "webhook_secret": "whsec_signing",
        "capture": "manual",
        "api_base": "http://127.0.0.1:8420/",
    })
    stored = await stored_plugin_settings(NAME)
    assert stored["publishable_key"] == "pk_test_abc123"
    assert stored["capture"] == "manual"
    assert stored["api_base"] == "http://127.0.0.1:8420"
    for key, plain in (("secret_key", "sk_test_topsecret"), ("webhook_secret", "whsec_signing")):
        await check_secret_at_rest(host, NAME, key, plain)
    assert host.shown_settings(NAME)["publishable_key"] == "pk_test_abc123"


async def test_invalid_value_is_refused_and_nothing_written(make_app, sqlite_url):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    host = app.runtime.host
    await host.configure(NAME, {"secret_key": "sk_test_first"})
    before = await stored_plugin_settings(NAME)
    with pytest.raises(PluginError, match="capture"):
        await host.configure(NAME, {"secret_key": "sk_test_second", "capture": "later"})
    with pytest.raises(PluginError, match="no setting 'secret'"):
        await host.configure(NAME, {"secret": "x"})
    assert await stored_plugin_settings(NAME) == before
    assert host.settings_for(NAME).secret_key == "sk_test_first"


@pytest.mark.parametrize("values", [
    {"publishable_key": "pk_live_51Habc"},
    {"secret_key": "rk_live_restricted"},
    {"secret_key": "  sk_test_pasted\n"},
    {"capture": "manual"},
    {"api_base": "http://localhost:12111"},
    {"js_url": "http://127.0.0.1:8420/js.stripe.com/v3/"},
])
def test_settings_accept(values):
    StripeSettings.model_validate(values)


@pytest.mark.parametrize("values, field", [
    ({"publishable_key": "sk_test_would_leak"}, "publishable_key"),
    ({"secret_key": "pk_test_swapped"}, "secret_key"),
    ({"secret_key": "sk_test with space"}, "secret_key"),
    ({"webhook_secret": "whsec_a b"}, "webhook_secret"),
    ({"capture": "later"}, "capture"),
    ({"api_base": "ftp://api.stripe.com"}, "api_base"),
    ({"api_base": ""}, "api_base"),
    ({"js_url": "js.stripe.com/v3/"}, "js_url"),
])
def test_settings_reject(values, field):
    with pytest.raises(ValidationError) as info:
        StripeSettings.model_validate(values)
    assert [e["loc"] for e in info.value.errors()] == [(field,)]


def test_stripped_secret_key():
    assert StripeSettings(secret_key="  sk_test_pasted\n").secret_key == "sk_test_pasted"
