"""The plugin's admin page, /admin/plugins/shipping_rates/rates, through the
real admin (staff sign-in, permission, CSRF, forms in major units, the audit
log), on SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest

from engine.testing import fetch
from engine.testing.admin import form_token, staff_client
from shopwright_shipping_rates import plugin
from shopwright_shipping_rates.rate_csv import HEADER, read_rates, write_rates
from shopwright_shipping_rates.rates import Band
from shopwright_shipping_rates.store import load_rates, replace_rates, table_version

PAGE = "/admin/plugins/shipping_rates/rates"
RATES = (f"{','.join(HEADER)}\n"
         "Germany,DE AT,,standard,Standard,weight,,1000,4.90,EUR\n"
         "Germany,DE AT,,standard,Standard,weight,1000,5000,6.90,EUR\n")


async def _shop(make_app, database_url):
    app = await make_app(plugins=[plugin], database_url=database_url)
    await replace_rates(app.runtime, read_rates(RATES, "EUR"))
    return app


async def _post(client, form: dict[str, str], token: str | None = None):
    """Post one of the page's forms as a browser would: the CSRF token and the
    table's version from the page."""
    token = token or await form_token(client, PAGE)
    return await client.post(PAGE, form={"csrf_token": token, "version": table_version(await load_rates()), **form})


async def _audit(action: str) -> list[dict]:
    return await fetch("SELECT actor, action, target FROM audit_log WHERE action = {} ORDER BY id", action)


async def test_staff_edit_zones_methods_and_bands(make_app, database_url):
    app = await _shop(make_app, database_url)
    owner = await staff_client(app, email="owner@example.test")

    page = await owner.get(PAGE)
    body = await page.get_data(as_text=True)
    assert page.status_code == 200, body
    assert "Germany" in body and "AT DE" in body and "shipping_rates:standard" in body
    assert 'value="4.90"' in body and 'value="1000"' in body, "bands in major units and grams"
    plugin_page = await (await owner.get("/admin/plugins/shipping_rates")).get_data(as_text=True)
    assert f'href="{PAGE}"' in plugin_page, "linked from the plugin's page"

    added = await _post(owner, {"action": "add_zone", "name": "Islands", "countries": "de",
                                "postcodes": "18565 25845-25849"})
    assert added.status_code == 303 and added.headers["Location"] == f"{PAGE}?done=add_zone"
    added = await _post(owner, {"action": "add_method", "zone": "Islands", "code": "ferry", "label": "Island ferry",
                                "basis": "subtotal", "handling_fee": "1.50", "min_order": "", "max_order": "",
                                "min_days": "3", "max_days": "6", "tax_class": "reduced",
                                "min": "", "max": "50.00", "price": "9.90"})
    assert added.status_code == 303
    assert (await _post(owner, {"action": "add_band", "zone": "Islands", "method": "ferry", "min": "50",
                                "max": "", "price": "0"})).status_code == 303
    islands = (await load_rates()).zones[1]
    assert (islands.name, set(islands.countries), [str(p) for p in islands.postcodes]) == (
        "Islands", {"DE"}, ["18565", "25845-25849"])
    ferry = islands.methods[0]
    assert (ferry.label, ferry.basis, ferry.handling_fee, ferry.estimated_days, ferry.tax_class) == (
        "Island ferry", "subtotal", 150, (3, 6), "reduced")
    assert ferry.bands == (Band(None, 5000, 990), Band(5000, None, 0))

    # change a band and the method, then delete them
    assert (await _post(owner, {"action": "save_band", "zone": "Germany", "method": "standard", "band": "1",
                                "min": "1000", "max": "8000", "price": "7.50"})).status_code == 303
    assert (await _post(owner, {"action": "save_method", "zone": "Germany", "method": "standard", "code": "standard",
                                "label": "Parcel", "basis": "weight", "min_order": "10", "max_order": "",
                                "handling_fee": "", "min_days": "2", "max_days": "4", "tax_class": ""})
            ).status_code == 303
    germany = (await load_rates()).zones[0].methods[0]
    assert (germany.label, germany.min_order, germany.estimated_days) == ("Parcel", 1000, (2, 4))
    assert germany.bands == (Band(None, 1000, 490), Band(1000, 8000, 750))
    assert (await _post(owner, {"action": "delete_band", "zone": "Germany", "method": "standard",
                                "band": "0"})).status_code == 303
    assert (await load_rates()).zones[0].methods[0].bands == (Band(1000, 8000, 750),)
    assert (await _post(owner, {"action": "delete_method", "zone": "Islands", "method": "ferry"})).status_code == 303
    assert (await load_rates()).zones[1].methods == ()
    assert "No methods yet" in await (await owner.get(PAGE)).get_data(as_text=True)
    assert (await _post(owner, {"action": "delete_zone", "zone": "Islands"})).status_code == 303
    assert [zone.name for zone in (await load_rates()).zones] == ["Germany"]

    # every change is in the audit log, with who did it and what it changed
    assert await _audit("shipping_rates.add_zone") == [
        {"actor": "owner@example.test", "action": "shipping_rates.add_zone", "target": "zone:Islands"}]
    assert [row["target"] for row in await _audit("shipping_rates.save_band")] == [
        "zone:Germany/method:standard/band:1"]
    assert len(await _audit("shipping_rates.delete_zone")) == 1


@pytest.mark.parametrize("form, field, message", [
    ({"action": "add_zone", "name": "", "countries": "DE"}, "name", "Give the zone a name"),
    ({"action": "add_zone", "name": "Germany", "countries": "FR"}, "name", "There is already a zone named"),
    ({"action": "add_zone", "name": "Nowhere", "countries": "DE XX"}, "countries", "Unknown country XX"),
    ({"action": "add_zone", "name": "Twin", "countries": "AT"}, "countries", "already covers AT with the whole country"),
    ({"action": "add_zone", "name": "Odd", "countries": "DE", "postcodes": "9-1"}, "postcodes", "range"),
    ({"action": "add_method", "zone": "Germany", "code": "Express!", "label": "Express", "basis": "flat",
      "price": "9.90"}, "code", "lower-case letters"),
    ({"action": "add_method", "zone": "Germany", "code": "express", "label": "Express", "basis": "flat",
      "price": "9.999"}, "price", "more than 2 decimals"),
    ({"action": "add_method", "zone": "Germany", "code": "express", "label": "Express", "basis": "flat",
      "price": "9.90", "handling_fee": "-1"}, "handling_fee", "must be from 0"),
    ({"action": "add_method", "zone": "Germany", "code": "express", "label": "Express", "basis": "flat",
      "price": "9.90", "min_days": "5", "max_days": "2"}, "max_days", "min_days 5 must be at most max_days 2"),
    ({"action": "add_method", "zone": "Germany", "code": "express", "label": "Express", "basis": "flat",
      "price": "9.90", "min_order": "50", "max_order": "20"}, "max_order", "must be below max_order"),
    ({"action": "add_method", "zone": "Germany", "code": "standard", "label": "Again", "basis": "flat",
      "price": "1"}, "code", "already has a method 'standard'"),
    ({"action": "add_band", "zone": "Germany", "method": "standard", "min": "500", "max": "2000", "price": "5"},
     "min", "overlaps another band"),
    ({"action": "add_band", "zone": "Germany", "method": "standard", "min": "6000", "max": "6000", "price": "5"},
     "max", "max must be above min"),
    ({"action": "add_band", "zone": "Germany", "method": "standard", "min": "1.5", "max": "", "price": "5"},
     "min", "whole number of grams"),
    ({"action": "save_method", "zone": "Germany", "method": "standard", "code": "standard", "label": "S",
      "basis": "flat"}, "basis", "delete the other bands first"),
])
async def test_bad_input_is_shown_at_its_field_and_changes_nothing(make_app, sqlite_url, form, field, message):
    app = await _shop(make_app, sqlite_url)
    owner = await staff_client(app)
    before = await load_rates()
    response = await _post(owner, form)
    body = await response.get_data(as_text=True)
    assert response.status_code == 422, body
    error = re.search(rf'id="[a-z0-9]+-{field}-error" role="alert">([^<]*)<', body)
    assert error and message in error.group(1).replace("&#39;", "'"), body[:200]
    assert await load_rates() == before
    assert await _audit(f"shipping_rates.{form['action']}") == []


async def test_the_last_band_cannot_be_deleted(make_app, sqlite_url):
    app = await _shop(make_app, sqlite_url)
    owner = await staff_client(app)
    await _post(owner, {"action": "delete_band", "zone": "Germany", "method": "standard", "band": "0"})
    response = await _post(owner, {"action": "delete_band", "zone": "Germany", "method": "standard", "band": "0"})
    assert response.status_code == 422
    assert "delete the method instead" in await response.get_data(as_text=True)
    assert len((await load_rates()).zones[0].methods[0].bands) == 1


async def test_permission_csrf_and_a_stale_form(make_app, sqlite_url):
    app = await _shop(make_app, sqlite_url)
    support = await staff_client(app, role="support")
    assert (await support.get(PAGE)).status_code == 403
    reader = await staff_client(app, permissions=["catalog:read"])
    assert (await reader.get(PAGE)).status_code == 403
    settings = await staff_client(app, permissions=["settings:write"])
    assert (await settings.get(PAGE)).status_code == 200

    before = await load_rates()
    forged = await settings.post(PAGE, form={"action": "delete_zone", "zone": "Germany",
                                             "version": table_version(before)})
    assert forged.status_code == 403 and await load_rates() == before

    token = await form_token(settings, PAGE)
    stale = await settings.post(PAGE, form={"csrf_token": token, "action": "delete_zone", "zone": "Germany",
                                            "version": "an older table"})
    assert stale.status_code == 409 and "changed meanwhile" in await stale.get_data(as_text=True)
    assert await load_rates() == before

    unknown = await _post(settings, {"action": "delete_zone", "zone": "Atlantis"})
    assert unknown.status_code == 404 and "no zone 'Atlantis'" in (await unknown.get_data(as_text=True)).replace(
        "&#39;", "'")


async def test_csv_download_and_upload(make_app, database_url):
    app = await _shop(make_app, database_url)
    owner = await staff_client(app)
    download = await owner.get(PAGE, query_string={"download": "csv"})
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert download.headers["Content-Disposition"] == 'attachment; filename="shipping-rates.csv"'
    assert (await download.get_data()).decode() == write_rates(await load_rates())

    token = await form_token(owner, PAGE)
    bad = f"{','.join(HEADER)}\nAustria,AT,,standard,Standard,flat,,,7.00,EUR\nAtlantis,XA,,std,S,flat,,,x,EUR\n"
    refused = await _upload(owner, token, bad)
    body = await refused.get_data(as_text=True)
    assert refused.status_code == 422 and "line 3: unknown country XA" in body and "Nothing was imported" in body
    assert [zone.name for zone in (await load_rates()).zones] == ["Germany"]

    good = f"{','.join(HEADER)},min_days,max_days\nAustria,AT,,standard,Standard,flat,,,7.00,EUR,1,3\n"
    imported = await _upload(owner, token, good)
    assert imported.status_code == 303
    table = await load_rates()
    assert [zone.name for zone in table.zones] == ["Austria"]
    assert table.zones[0].methods[0].estimated_days == (1, 3)
    assert [row["target"] for row in await _audit("shipping_rates.upload")] == ["file:rates.csv"]

    empty = await owner.post(PAGE, form={"csrf_token": token, "action": "upload"})
    assert empty.status_code == 422 and "Choose a CSV file" in await empty.get_data(as_text=True)


async def _upload(client, token: str, text: str):
    from werkzeug.datastructures import FileStorage
    import io

    return await client.post(PAGE, form={"csrf_token": token, "action": "upload"},
                             files={"file": FileStorage(io.BytesIO(text.encode()), filename="rates.csv",
                                                        content_type="text/csv")})


async def test_two_edits_of_one_version_at_once_keep_one(make_app, database_url):
    import asyncio

    from shopwright_shipping_rates import editing
    from shopwright_shipping_rates.store import StaleTable, edit_rates

    app = await _shop(make_app, database_url)
    version = table_version(await load_rates())
    results = await asyncio.gather(*(
        edit_rates(app.runtime, version, lambda table, name=name: editing.save_zone(
            table, None, {"name": name, "countries": "FR", "postcodes": f"{i}*"}))
        for i, name in enumerate(("Paris", "Lyon"), 7)), return_exceptions=True)
    assert sorted(type(result).__name__ for result in results) == ["RateTable", "StaleTable"], results
    assert any(isinstance(result, StaleTable) for result in results)
    assert len((await load_rates()).zones) == 2, "Germany and the one edit that won"
