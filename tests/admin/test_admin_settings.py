"""The admin's settings: the store's profile and the tax rates, saved from
the form, shown back as typed, ambiguous rates refused at the field with
nothing saved, each change audited, and a change stored by another process
reaching the running app without a restart; only holders of ``settings:write``."""
from __future__ import annotations

from engine.system import store_profile
from engine.testing import fetchone, fetchval, wait_until
from engine.testing.admin import form_token, staff_client
from engine.testing.checkout import add_product, cart_with

STORE = {"name": "Lovelace Goods", "base_url": "https://shop.example.test/", "email_sender": "hello@example.test",
         "countries": "de at", "address": "Unter den Linden 1\n10117 Berlin", "prices_include_tax": "1"}


async def test_owner_changes_store_settings_and_taxes_and_every_process_follows(make_app, database_url):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", price=10000, stock=5)
    for role in ("support",):
        member = await staff_client(app, role=role)
        assert (await member.get("/admin/settings")).status_code == 403
        token = await form_token(member, "/admin/account")
        assert (await member.post("/admin/settings", form={**STORE, "csrf_token": token})).status_code == 403
        assert (await member.post("/admin/settings/taxes", form={"rates": "DE = 1 %", "label": "VAT",
                                                                 "csrf_token": token})).status_code == 403
    owner = await staff_client(app, role="owner")
    token = await form_token(owner, "/admin/settings")

    refused = await owner.post("/admin/settings", form={**STORE, "countries": "DE XX", "email_sender": "nobody",
                                                         "csrf_token": token})
    page = await refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="countries-error"' in page and 'id="email_sender-error"' in page
    assert 'value="DE XX"' in page and app.settings.store.name != "Lovelace Goods"
    saved = await owner.post("/admin/settings", form={**STORE, "csrf_token": token})
    assert saved.status_code == 303
    store = app.settings.store
    assert (store.name, store.base_url) == ("Lovelace Goods", "https://shop.example.test")
    assert store.countries == ["DE", "AT"]
    assert app.settings.mail.from_address == "hello@example.test" and app.settings.checkout.prices_include_tax
    shown = await (await owner.get("/admin/settings")).get_data(as_text=True)
    assert 'value="DE AT"' in shown and "10117 Berlin" in shown
    entry = await fetchone("SELECT * FROM audit_log WHERE action = 'settings.store'")
    assert "prices_include_tax" in entry["details"] and "Lovelace" not in entry["details"]
    # what another process's save does: the stored profile changes under this running app
    await store_profile.save(app.settings.model_copy(deep=True), {**STORE, "name": "Ada's Goods",
                                                                  "prices_include_tax": False})
    shopper = app.test_client()
    await wait_until(lambda: app.settings.store.name == "Ada's Goods", timeout=20,
                     what="the running app follows the stored profile")
    assert not app.settings.checkout.prices_include_tax
    assert "Ada&#39;s Goods" in await (await shopper.get("/")).get_data(as_text=True)
    await store_profile.save(app.settings.model_copy(deep=True), STORE)
    await wait_until(lambda: app.settings.checkout.prices_include_tax, timeout=20, what="prices include tax again")

    for rates, message in (("DE = 0.19", "19 % or 0.19 %"), ("DE = 1,5", "point for decimals"),
                           ("Germany = 19 %", "COUNTRY"), ("DE 19", "KEY = PERCENT"), ("DE = 101 %", "at most 100")):
        refused = await owner.post("/admin/settings/taxes", form={"rates": rates, "label": "VAT", "default_country": "",
                                                                  "csrf_token": token})
        page = await refused.get_data(as_text=True)
        assert refused.status_code == 422 and message in page and 'id="rates-error"' in page, rates
    assert await fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'plugin.configure'") == 0
    saved = await owner.post("/admin/settings/taxes", form={"rates": "de = 19%\r\nDE:Reduced = 7.5 %", "label": "VAT",
                                                            "default_country": "DE", "csrf_token": token})
    assert saved.status_code == 303
    shown = await (await owner.get("/admin/settings")).get_data(as_text=True)
    assert "DE = 19 %\nDE:reduced = 7.5 %" in shown
    assert await fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'plugin.configure'") == 1

    cart = await cart_with(shopper, "TEE-1", 1)

    async def taxed():
        body = await (await shopper.get(f"/api/v1/carts/{cart}")).get_json()
        return body["totals"] if body["totals"]["tax"] else None

    totals = await wait_until(taxed, timeout=20, what="the cart is taxed at 19 %")
    assert totals["tax"] == 1597 and totals["tax_included"] and totals["total"] == 10000
