"""The admin page /admin/plugins/erp_sync/status: last runs, dead letters with
their errors, a pull and a retry queued from buttons; permissions and CSRF."""
from __future__ import annotations

from engine.testing import wait_until
from engine.testing.admin import form_token, staff_client
from shopwright_erp_sync import plugin, store
from test_odoo_push import CONFIG

PAGE = "/admin/plugins/erp_sync/status"


async def test_status_page_shows_dead_letters_and_queues_pull_and_retry(make_app, sqlite_url, odoo):
    app = await make_app(plugins=[plugin], database_url=sqlite_url)
    await app.runtime.host.configure("erp_sync", {"url": odoo.url, **CONFIG})
    ids = [odoo.add_product(f"Lamp {index}", f"LAMP-{index}", price=40.0, on_hand=1) for index in range(3)]
    odoo.faulty.add(ids[1][0])
    owner = await staff_client(app, email="owner@example.test")
    reader = await staff_client(app, permissions=["erp:read"])
    support = await staff_client(app, role="support")

    assert (await support.get(PAGE)).status_code == 403
    page = await owner.get(PAGE)
    body = await page.get_data(as_text=True)
    assert page.status_code == 200 and "Last pull</dt><dd>never" in body and "None: nothing failed." in body

    token = await form_token(owner, PAGE)
    assert (await owner.post(PAGE, form={"action": "pull"})).status_code == 403          # no CSRF token
    posted = await owner.post(PAGE, form={"action": "pull", "csrf_token": token})
    assert posted.status_code == 303 and posted.headers["Location"] == PAGE + "?queued=pull"
    [dead] = await wait_until(lambda: store.open_dead_letters("product"), what="the faulty product dead-lettered")
    await app.runtime.queue.drain()

    body = await (await owner.get(PAGE)).get_data(as_text=True)
    assert "2 products, 2 variants" in body and f"product.template:{ids[1][0]}" in body
    assert "Expected singleton" in body and "Retry</button>" in body
    reader_body = await (await reader.get(PAGE)).get_data(as_text=True)
    assert "Expected singleton" in reader_body and "Retry</button>" not in reader_body
    refused = await reader.post(PAGE, form={"action": "retry", "id": str(dead["id"]),
                                            "csrf_token": await form_token(reader, PAGE)})
    assert refused.status_code == 403

    odoo.faulty.clear()
    retried = await owner.post(PAGE, form={"action": "retry", "id": str(dead["id"]), "csrf_token": token})
    assert retried.status_code == 303
    await wait_until(lambda: _none_open(), what="the dead letter resolved")
    assert "None: nothing failed." in await (await owner.get(PAGE)).get_data(as_text=True)


async def _none_open() -> bool:
    return await store.open_dead_letters() == []
