"""An admin form that creates something is sent once: the same form sent
twice (a double click, concurrently or one after the other) creates one record
and both sendings are answered with the first one's redirect; a sending
refused for its fields frees its key, so the corrected form goes through."""
from __future__ import annotations

import asyncio
import re

from engine.catalog import manage
from engine.testing import fetchval
from engine.testing.admin import form_token, staff_client
from engine.testing.checkout import add_product

PROMOTION = {"name": "Spring sale", "code": "", "kind": "percentage", "value": "10 %", "min_subtotal": "",
             "scope": "order", "targets": "", "usage_limit": "", "per_customer_limit": "", "starts_at": "",
             "ends_at": "", "buy_quantity": "0", "get_quantity": "0", "priority": "100", "active": "1"}
KEY = re.compile(r'name="submission_key" value="([^"]+)"')


async def _form(client, path: str, action: str | None = None) -> dict[str, str]:
    """The hidden fields of the form posting to ``action`` (default: ``path``'s only create form)."""
    page = await (await client.get(path)).get_data(as_text=True)
    if action:
        page = page[page.index(f'action="{action}"'):]
    key = KEY.findall(page)[0]
    return {"csrf_token": await form_token(client, path), "submission_key": key}


async def test_a_promotion_form_sent_twice_at_once_creates_one_promotion(make_app, database_url):
    app = await make_app(database_url=database_url)
    manager = await staff_client(app, role="manager")
    hidden = await _form(manager, "/admin/promotions/new")

    first, second = await asyncio.gather(*(manager.post("/admin/promotions", form={**PROMOTION, **hidden})
                                           for _ in range(2)))
    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"]
    again = await manager.post("/admin/promotions", form={**PROMOTION, **hidden})    # a reload, later
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert await fetchval("SELECT COUNT(*) FROM promotions") == 1

    other = await manager.post("/admin/promotions", form={**PROMOTION, **await _form(manager, "/admin/promotions/new")})
    assert other.status_code == 303 and await fetchval("SELECT COUNT(*) FROM promotions") == 2, "a new form, a new one"


async def test_a_refused_sending_frees_its_key_for_the_corrected_form(make_app, database_url):
    app = await make_app(database_url=database_url)
    manager = await staff_client(app, role="manager")
    hidden = await _form(manager, "/admin/promotions/new")
    refused = await manager.post("/admin/promotions", form={**PROMOTION, "value": "0.19", **hidden})
    assert refused.status_code == 422 and await fetchval("SELECT COUNT(*) FROM promotions") == 0
    corrected = await manager.post("/admin/promotions", form={**PROMOTION, **hidden})
    assert corrected.status_code == 303 and await fetchval("SELECT COUNT(*) FROM promotions") == 1


async def test_a_stock_addition_sent_twice_adds_once(make_app, database_url):
    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "MUG-1", price=1200, stock=3)
    product_id = await fetchval("SELECT product FROM catalog_variants WHERE sku = 'MUG-1'")
    staff = await staff_client(app, role="manager")
    page = f"/admin/products/{product_id}"
    hidden = await _form(staff, page, f"{page}/stock")
    change = {"sku": "MUG-1", "warehouse": "default", "mode": "add", "quantity": "+5", "reason": "delivery", **hidden}
    sent = await asyncio.gather(*(staff.post(f"{page}/stock", form=change) for _ in range(2)))
    assert [response.status_code for response in sent] == [303, 303]
    assert (await manage.variant_stock("MUG-1"))["quantity_available"] == 8
