"""The Razorpay plugin as an installed distribution: discovery, configured
at runtime through the ``shopwright`` command like any third-party plugin,
settings validation, encrypted secrets, the storefront's script and CSP,
and a store currency Razorpay does not take not offered at checkout."""
from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from pydantic import ValidationError
from razorpay_standin import KEY_ID, KEY_SECRET, razorpay_settings
from shopwright_payments_razorpay import plugin
from shopwright_payments_razorpay.settings import RazorpaySettings

from engine.testing import check_installed, check_secret_at_rest, stored_plugin_settings
from engine.testing.checkout import add_product, cart_with, checkout_body, migrate

NAME = "payments_razorpay"


def test_entry_point_loads_without_error():
    check_installed(NAME, plugin, "shopwright-payments-razorpay")


def shopwright(*args: str, env: dict[str, str]) -> str:
    """The installed ``shopwright`` command, as a merchant runs it; its output."""
    result = subprocess.run([sys.executable, "-m", "engine.cli", *args], env={**os.environ, **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_enabled_and_configured_with_the_shopwright_command(tmp_path, shopwright_settings, make_app):
    database_url, secret_key = f"sqlite:///{tmp_path / 'cli.sqlite'}", "cli-test-secret-key-0123456789"
    settings = shopwright_settings(database_url=database_url, secret_key=secret_key)
    await migrate(settings, [plugin])
    env = {"SHOPWRIGHT_DATABASE_URL": database_url, "SHOPWRIGHT_SECRET_KEY": secret_key,
           "SHOPWRIGHT_CONFIG": os.devnull}
    out = shopwright("plugins", "configure", NAME, f"key_id={KEY_ID}", f"key_secret={KEY_SECRET}",
                     "webhook_secret=whsec-1", "capture=manual", env=env)
    assert KEY_SECRET not in out and "whsec-1" not in out and "capture = manual" in out
    app = await make_app(plugins=[plugin], database_url=database_url, secret_key=secret_key)
    host = app.runtime.host
    await host.enable(NAME)  # what `shopwright plugins enable payments_razorpay` does
    assert host.is_active(NAME) and host.settings_for(NAME).key_secret == KEY_SECRET
    assert host.shown_settings(NAME)["key_secret"] != KEY_SECRET
    [gateway] = plugin.payment_gateways(host.settings_for(NAME))
    assert gateway.capabilities.authorize_then_capture


async def test_defaults_secrets_at_rest_and_no_gateway_until_configured(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    assert host.is_active(NAME) and host.status_of(NAME).error is None
    assert host.shown_settings(NAME) == {
        "key_id": "", "key_secret": "", "webhook_secret": "", "capture": "automatic",
        "api_base": "https://api.razorpay.com", "js_url": "https://checkout.razorpay.com/v1/checkout.js",
        "timeout_seconds": 20.0}
    assert plugin.payment_gateways(host.settings_for(NAME)) == []
    assert plugin.storefront_assets("order", host.settings_for(NAME)) == []
    await host.configure(NAME, {"key_id": KEY_ID, "key_secret": KEY_SECRET, "webhook_secret": "whsec-2",
                                "api_base": "http://127.0.0.1:9000/"})
    assert (await stored_plugin_settings(NAME))["api_base"] == "http://127.0.0.1:9000"
    await check_secret_at_rest(host, NAME, "key_secret", KEY_SECRET)
    await check_secret_at_rest(host, NAME, "webhook_secret", "whsec-2")
    [gateway] = plugin.payment_gateways(host.settings_for(NAME))
    assert gateway.capabilities.flow == "embedded" and not gateway.capabilities.authorize_then_capture
    assert "INR" in gateway.capabilities.currencies and "KWD" not in gateway.capabilities.currencies


@pytest.mark.parametrize("values, field", [
    ({"capture": "later"}, "capture"),
    ({"api_base": "api.razorpay.com"}, "api_base"),
    ({"js_url": "javascript:alert(1)"}, "js_url"),
    ({"key_id": "rzp test"}, "key_id"),
    ({"key_secret": "two words"}, "key_secret"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
])
def test_settings_reject(values, field):
    with pytest.raises(ValidationError) as info:
        RazorpaySettings.model_validate(values)
    assert [e["loc"] for e in info.value.errors()] == [(field,)]


async def test_checkout_script_and_csp_on_the_order_page_and_currencies(razorpay, razorpay_shop, sqlite_url):
    """The order page loads checkout.js from ``js_url`` with the CSP sources
    from the settings; a store in a currency Razorpay does not take is not
    offered Razorpay at checkout."""
    secret_key = "razorpay-tests-secret-key-0123456789"
    async with razorpay_shop(razorpay, sqlite_url, settings={"theme": "default", "secret_key": secret_key}) \
            as (app, base_url):
        await add_product(app.runtime, "TEE-1", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            cart = await cart_with(client, "TEE-1", 1)
            methods = (await client.get(f"/api/v1/carts/{cart}/payment-methods")).json()["items"]
            assert "razorpay" in [m["id"] for m in methods]
            placed = await client.post(f"/api/v1/carts/{cart}/checkout", headers={"Idempotency-Key": "rzp-csp-1"},
                                       json=checkout_body(payment_method="razorpay"))
            order = placed.json()
            page = await client.get(f"/orders/{order['number']}", params={"token": order["access_token"]})
            assert page.status_code == 200
            assert f'src="{razorpay.url}/v1/checkout.js"' in page.text
            assert f'data-client-secret="{order["payment"]["reference"]}"' in page.text
            assert f'data-publishable-key="{KEY_ID}"' in page.text
            csp = page.headers["content-security-policy"]
            for directive in ("script-src", "frame-src", "connect-src"):
                assert razorpay.url in next(d for d in csp.split(";") if d.strip().startswith(directive))

    async with razorpay_shop(razorpay, sqlite_url, settings={"store": {"currency": "XOF"}, "secret_key": secret_key}) \
            as (app, base_url):
        await add_product(app.runtime, "TEE-2", price=2500, stock=5)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            cart = await cart_with(client, "TEE-2", 1)
            methods = (await client.get(f"/api/v1/carts/{cart}/payment-methods")).json()["items"]
            assert "razorpay" not in [m["id"] for m in methods]
            refused = await client.post(f"/api/v1/carts/{cart}/checkout", headers={"Idempotency-Key": "rzp-xof-1"},
                                        json=checkout_body(payment_method="razorpay"))
            assert refused.status_code == 422 and "payment_method" in refused.json()["errors"]
            assert razorpay.orders.keys() == {order["payment"]["reference"]}


def test_stand_in_settings_are_valid():
    RazorpaySettings.model_validate(razorpay_settings("http://127.0.0.1:1"))
