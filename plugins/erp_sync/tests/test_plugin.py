"""The ERP sync plugin as an installed distribution: discovery, enabling,
settings validation, encrypted secrets (SQLite and PostgreSQL) and its
staff permissions."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.sdk import PluginError
from engine.testing import check_installed, check_secret_at_rest, stored_plugin_settings
from shopwright_erp_sync import plugin
from shopwright_erp_sync.settings import ErpSyncSettings

NAME = "erp_sync"


def test_entry_point_loads_without_error():
    check_installed(NAME, plugin, "shopwright-erp-sync")


async def test_enables_unconfigured_with_documented_defaults(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    assert host.is_active(NAME)
    assert host.status_of(NAME).error is None
    assert host.shown_settings(NAME) == {
        "connector": "odoo",
        "url": "",
        "db": "",
        "username": "",
        "password": "",
        "interval_minutes": 15,
        "owned_fields": "title, description, price, stock, status",
    }
    await host.disable(NAME)
    assert not host.is_active(NAME)


async def test_password_is_stored_encrypted_and_shown_masked(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    host = app.runtime.host
    # Values as the CLI passes them: strings.
    await host.configure(NAME, {
        "url": "http://127.0.0.1:8069/",
        "db": "shop",
        "username": "sync@example.com",
        "password": "odoo-api-key",
        "interval_minutes": "30",
    })
    stored = await stored_plugin_settings(NAME)
    assert stored["url"] == "http://127.0.0.1:8069"
    assert stored["db"] == "shop" and stored["username"] == "sync@example.com"
    assert stored["interval_minutes"] == 30
    await check_secret_at_rest(host, NAME, "password", "odoo-api-key")
    assert host.shown_settings(NAME)["username"] == "sync@example.com"


async def test_invalid_value_is_refused_and_nothing_written(make_app, sqlite_url):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    host = app.runtime.host
    await host.configure(NAME, {"password": "first", "url": "https://erp.example.com"})
    before = await stored_plugin_settings(NAME)
    with pytest.raises(PluginError, match="interval_minutes"):
        await host.configure(NAME, {"password": "second", "interval_minutes": "0"})
    # The merged result is validated: csv cannot keep the Odoo URL.
    with pytest.raises(PluginError, match="url"):
        await host.configure(NAME, {"connector": "csv"})
    assert await stored_plugin_settings(NAME) == before
    assert host.settings_for(NAME).password == "first"
    await host.configure(NAME, {"connector": "csv", "url": "/srv/erp/exchange"})
    assert host.settings_for(NAME).connector == "csv"


async def test_declares_erp_permissions_only_while_enabled(make_app, sqlite_url):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    host = app.runtime.host
    declared = dict(await host.hook("admin_permissions"))
    assert [p.code for p in declared[NAME]] == ["erp:read", "erp:write"]
    core_codes = {p.code for name, perms in declared.items() if name != NAME for p in perms}
    assert core_codes and not core_codes & {"erp:read", "erp:write"}
    await host.disable(NAME)
    assert NAME not in dict(await host.hook("admin_permissions"))


@pytest.mark.parametrize("values", [
    {"connector": "csv"},
    {"connector": "csv", "url": "file:///srv/erp"},
    {"connector": "csv", "url": "exchange/erp"},
    {"url": "https://odoo.example.com/odoo"},
    {"interval_minutes": 1},
    {"interval_minutes": "10080"},
])
def test_settings_accept(values):
    ErpSyncSettings.model_validate(values)


@pytest.mark.parametrize("values, field", [
    ({"connector": "sap"}, "connector"),
    ({"url": "odoo.example.com"}, "url"),
    ({"url": "ftp://odoo.example.com"}, "url"),
    ({"connector": "csv", "url": "https://odoo.example.com"}, "url"),
    ({"interval_minutes": 0}, "interval_minutes"),
    ({"interval_minutes": 10081}, "interval_minutes"),
    ({"interval_minutes": "often"}, "interval_minutes"),
    ({"interval_minutes": 1.5}, "interval_minutes"),
    ({"username": "a\nb"}, "username"),
])
def test_settings_reject(values, field):
    with pytest.raises(ValidationError) as info:
        ErpSyncSettings.model_validate(values)
    assert [e["loc"] for e in info.value.errors()] == [(field,)]


@pytest.mark.parametrize("values, missing", [
    ({}, ["url", "db", "username", "password"]),
    ({"url": "http://127.0.0.1:8069", "db": "shop", "username": "u"}, ["password"]),
    ({"url": "http://127.0.0.1:8069", "db": "shop", "username": "u", "password": "p"}, []),
    ({"connector": "csv"}, ["url"]),
    ({"connector": "csv", "url": "/srv/erp"}, []),
])
def test_missing_lists_what_the_connector_still_needs(values, missing):
    assert ErpSyncSettings.model_validate(values).missing() == missing


@pytest.mark.parametrize("value, currency, minor", [
    (4.93, "EUR", 493), (0.1 + 0.2, "EUR", 30), ("12.50", "EUR", 1250), (19.0, "EUR", 1900),
    (1200.0, "JPY", 1200), (1.2345, "BHD", 1234), (0.005, "EUR", 0), (0.015, "EUR", 2), (1e-7, "EUR", 0),
])
def test_erp_amounts_become_minor_units_exactly(value, currency, minor):
    from shopwright_erp_sync.connector import to_minor

    assert to_minor(value, currency) == minor


@pytest.mark.parametrize("value", [None, True, "", "12,50", "nan", float("inf")])
def test_what_is_not_an_amount_is_refused(value):
    from shopwright_erp_sync.connector import to_minor

    with pytest.raises(ValueError):
        to_minor(value, "EUR")


def test_unit_prices_sent_to_odoo_give_back_the_line_total():
    from shopwright_erp_sync.odoo import unit_price

    assert unit_price(2500 * 2, 2, "EUR") == 25.0
    assert round(unit_price(1000, 3, "EUR") * 3, 2) == 10.0
    assert unit_price(1200, 1, "JPY") == 1200.0


def test_subscribes_to_the_events_it_handles_only():
    assert set(plugin.MANIFEST.events) == {"order_paid", "order_cancelled", "order_refunded", "stock_changed"}
    assert plugin.MANIFEST.piccolo_app == "shopwright_erp_sync.piccolo_app"
