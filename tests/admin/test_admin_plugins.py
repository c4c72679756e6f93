"""/admin/plugins and /admin/plugins/<name>: the list, the catalog, enabling,
and the settings form generated from the plugin's model (field errors,
secrets never sent back nor audited, amounts in major units)."""
from __future__ import annotations

import re

import shopwright_payments_stripe.plugin as stripe_plugin
from pydantic import BaseModel, Field

from engine import PluginManifest, secret
from engine.testing import fetch
from engine.testing.admin import form_token, staff_client

PAGE = "/admin/plugins/payments_stripe"
SECRET = "sk_test_admin_form_secret_1234567890"


class LoyaltySettings(BaseModel):
    api_key: str = secret(description="Key of the loyalty service")
    mode: str = Field("live", description="Which service")
    points_per_order: int = Field(1, ge=0, le=1000)
    free_over: int = Field(5000, ge=0, json_schema_extra={"amount": True}, description="Free above this amount")
    verbose: bool = False


class Loyalty:
    MANIFEST = PluginManifest(name="loyalty", title="Loyalty points", version="1.2.3", engine=">=0.1,<1",
                              settings=LoyaltySettings)


async def _save(client, path: str, fields: dict):
    token = await form_token(client, path)
    return await client.post(path, form={"csrf_token": token, "action": "save", **fields})


async def test_enable_and_configure_stripe_from_the_form(make_app, database_url):
    app = await make_app(plugins=[stripe_plugin], enable=[], database_url=database_url)
    owner = await staff_client(app)

    listing = await (await owner.get("/admin/plugins")).get_data(as_text=True)
    assert 'data-plugin="payments_stripe"' in listing and "disabled" in listing
    assert "pip install shopwright-payments-paypal" in listing, "bundled plugins not installed are in the catalog"

    token = await form_token(owner, PAGE)
    enabled = await owner.post(PAGE, form={"csrf_token": token, "action": "enable"})
    assert enabled.status_code == 303 and enabled.headers["Location"] == PAGE + "?done=enable"
    page = await (await owner.get(PAGE)).get_data(as_text=True)
    assert app.runtime.host.is_active("payments_stripe")
    assert "Missing:" in page and "secret_key" in page, "what the integration still needs"
    assert '<select id="f-capture" name="capture"' in page and ">manual</option>" in page

    bad = await _save(owner, PAGE, {"publishable_key": "sk_wrong", "secret_key": SECRET, "capture": "manual",
                                    "api_base": "https://api.stripe.com", "js_url": "https://js.stripe.com/v3/"})
    body = await bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert re.search(r'data-field="publishable_key">.*?publishable_key must start with pk_', body, re.DOTALL)
    assert SECRET not in body, "a refused secret is not echoed back"
    assert app.runtime.host.shown_settings("payments_stripe")["secret_key"] == "", "nothing written"

    saved = await _save(owner, PAGE, {"publishable_key": "pk_test_1", "secret_key": SECRET, "webhook_secret": "whsec_1",
                                      "capture": "manual", "api_base": "https://api.stripe.com",
                                      "js_url": "https://js.stripe.com/v3/"})
    assert saved.status_code == 303, await saved.get_data(as_text=True)
    settings = app.runtime.host.settings_for("payments_stripe")
    assert settings.secret_key == SECRET and settings.capture == "manual"
    page = await (await owner.get(PAGE)).get_data(as_text=True)
    assert SECRET not in page and "Missing:" not in page and "set – leave empty to keep it" in page

    # an empty secret field keeps the stored secret; the clear box empties it
    await _save(owner, PAGE, {"publishable_key": "pk_test_2", "secret_key": "", "capture": "automatic",
                              "api_base": "https://api.stripe.com", "js_url": "https://js.stripe.com/v3/"})
    assert app.runtime.host.settings_for("payments_stripe").secret_key == SECRET
    entries = await fetch("SELECT action, details FROM audit_log WHERE target = {}", "name=payments_stripe")
    assert {"plugin.enable", "plugin.configure"} <= {row["action"] for row in entries}
    assert all(SECRET not in str(row["details"]) for row in entries)
    audit_page = await (await owner.get("/admin/audit")).get_data(as_text=True)
    assert SECRET not in audit_page


async def test_generated_form_kinds_and_amounts(make_app):
    app = await make_app(plugins=[Loyalty], settings={"store": {"currency": "EUR"}})
    owner = await staff_client(app)
    page = await (await owner.get("/admin/plugins/loyalty")).get_data(as_text=True)
    assert 'type="password" id="f-api_key"' in page and 'value="50.00"' in page and "(EUR)" in page
    assert 'type="checkbox" id="f-verbose"' in page and "Free above this amount" in page

    wrong = await _save(owner, "/admin/plugins/loyalty", {"points_per_order": "many", "free_over": "12.345",
                                                          "mode": "live"})
    body = await wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "must be a whole number" in body and "EUR has 2 decimals" in body
    too_many = await _save(owner, "/admin/plugins/loyalty", {"points_per_order": "5000", "free_over": "1", "mode": "x"})
    assert too_many.status_code == 422 and "less than or equal to 1000" in await too_many.get_data(as_text=True)

    saved = await _save(owner, "/admin/plugins/loyalty", {"points_per_order": "3", "free_over": "12.50",
                                                          "mode": "test", "verbose": "1", "api_key": "k-1"})
    assert saved.status_code == 303
    settings = app.runtime.host.settings_for("loyalty")
    assert (settings.points_per_order, settings.free_over, settings.verbose, settings.api_key) == (3, 1250, True, "k-1")


async def test_plugin_pages_need_plugins_write(make_app):
    app = await make_app(plugins=[stripe_plugin], enable=[])
    support = await staff_client(app, role="support")
    manager = await staff_client(app, role="manager")
    for client in (support, manager):
        for path in ("/admin/plugins", PAGE):
            assert (await client.get(path)).status_code == 403, path
        token = await form_token(client, "/admin/account")
        refused = await client.post(PAGE, form={"csrf_token": token, "action": "enable"})
        assert refused.status_code == 403 and "plugins:write" in await refused.get_data(as_text=True)
    assert not app.runtime.host.is_active("payments_stripe")
    owner = await staff_client(app)
    assert (await owner.post(PAGE, form={"action": "enable"})).status_code == 403, "no CSRF token"
    assert (await owner.get("/admin/plugins/no_such_plugin")).status_code == 404


async def test_every_plugin_theme_job_and_email_route_refuses_staff_without_plugins_write(make_app):
    """Every route of these pages, each method: 403 for a manager (no ``plugins:write``)."""
    app = await make_app(plugins=[stripe_plugin], enable=[])
    manager = await staff_client(app, role="manager")
    token = await form_token(manager, "/admin/account")
    values = {"name": "payments_stripe", "plugin": "payments_stripe", "path": "x"}
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/admin/plugins", "/admin/themes", "/admin/jobs", "/admin/emails")):
            continue
        if rule.endpoint.startswith("admin_plugin_pages."):
            continue  # a plugin's own pages declare their own permission (tests/sdk/test_admin_pages.py)
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{argument}>", values.get(argument, "boutique"), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = await manager.get(path)
            else:
                response = await manager.post(path, form={"csrf_token": token, "action": "enable"})
            assert response.status_code == 403, (method, path)
            checked.append((method, rule.rule))
    assert len(checked) >= 10, checked
    assert not app.runtime.host.is_active("payments_stripe")


def test_numbers_are_read_exactly():
    from decimal import Decimal

    from engine.admin import schema_form

    class Rates(BaseModel):
        rate: Decimal = Decimal("0.19")
        timeout: float = 10.0
        fee: int = Field(0, json_schema_extra={"amount": True})

    specs = schema_form.fields(Rates, None, "JPY")
    assert [(f.name, f.kind, f.value) for f in specs] == [("rate", "number", "0.19"), ("timeout", "number", "10.0"),
                                                         ("fee", "amount", "0")]
    values, errors = schema_form.parse(specs, {"rate": "0.070000000000000007", "timeout": "nan", "fee": "1.5"})
    assert values == {"rate": "0.070000000000000007"} and Rates.model_validate(values).rate == Decimal(
        "0.070000000000000007")
    assert errors == {"timeout": "must be a number", "fee": "JPY has no decimals: enter a whole number, like 12."}
    assert schema_form.parse(specs, {"rate": "1", "timeout": "2.5", "fee": "1500"})[0]["fee"] == 1500


async def test_a_plugin_enabled_but_not_installed_can_be_disabled(make_app):
    from engine.db.sql import fetch as run

    app = await make_app(plugins=[stripe_plugin], enable=[])
    await run("INSERT INTO plugin_state (name, enabled, settings, updated_at) VALUES ({}, {}, {}, {})",
              "gone_plugin", True, "{}", "2026-01-01T00:00:00+00:00")
    await app.runtime.host.refresh()
    owner = await staff_client(app)
    listing = await (await owner.get("/admin/plugins")).get_data(as_text=True)
    assert 'data-plugin="gone_plugin"' in listing and "not installed in this environment" in listing
    page = await owner.get("/admin/plugins/gone_plugin")
    assert page.status_code == 200 and ">Disable</button>" in await page.get_data(as_text=True)
    token = await form_token(owner, "/admin/plugins/gone_plugin")
    done = await owner.post("/admin/plugins/gone_plugin", form={"csrf_token": token, "action": "disable"})
    assert done.status_code == 303
    assert "gone_plugin" not in await (await owner.get("/admin/plugins")).get_data(as_text=True)
