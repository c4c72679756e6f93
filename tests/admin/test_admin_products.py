"""The admin's catalog pages through their HTML forms, on SQLite and
PostgreSQL: the product list (search by title and SKU, status and category
filters, cursor pages), bulk actions (publish, unpublish, exact price
changes refused when ambiguous or out of bounds, category), the product form
(two variants, errors kept at their fields, nothing half-written), image
upload checked by its bytes and served to the storefront, stock adjustments
with a reason and their history, CSV import and export as jobs; a member
without ``catalog:write`` is refused every form (and one without
``catalog:read`` every page: tests/security/test_admin_routes.py)."""
from __future__ import annotations

import base64
import io
import json
import re
from urllib.parse import urlencode

from quart.datastructures import FileStorage

from engine import audit
from engine.catalog import manage
from engine.catalog import services as catalog_services
from engine.catalog.writes import save_attribute
from engine.db.sql import fetch, fetchval
from engine.testing import wait_until
from engine.testing.admin import staff_client
from engine.testing.checkout import add_product

#: a 1×1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-product="(\d+)">', page)]


async def _get(client, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status_code, await response.get_data(as_text=True)


async def _post(client, path: str, form: dict, files: dict | None = None, token_from: str = "/admin/products"):
    _, page = await _get(client, token_from)
    fields = {"csrf_token": _token(page), **form}
    if files:
        response = await client.post(path, form=fields, files=files)
    else:  # a field given several times (the ticked products) as a browser sends it
        response = await client.post(path, data=urlencode(fields, doseq=True),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    return response.status_code, await response.get_data(as_text=True), response.headers.get("Location", "")


def _variant_form(rows: list[tuple[str, str, str, str]]) -> dict[str, str]:
    form = {}
    for index, (sku, options, price, weight) in enumerate(rows):
        form.update({f"v-{index}-sku": sku, f"v-{index}-options": options, f"v-{index}-price": price,
                     f"v-{index}-weight": weight})
    return form


async def _audited(action: str) -> int:
    return await fetchval("SELECT COUNT(*) FROM audit_log WHERE action = {}", action)


async def test_list_search_filters_pages_and_bulk_actions(make_app, database_url, monkeypatch):
    app = await make_app(database_url=database_url)
    monkeypatch.setattr("engine.admin.products.PAGE_SIZE", 2)
    runtime = app.runtime
    await manage.create_category(runtime, {"slug": "shirts", "name": "Shirts"})
    for sku, price in (("TEE-1", 1999), ("MUG-1", 1000), ("CAP-1", 5)):
        await add_product(runtime, sku, price=price, slug=sku.lower())
    ids = {row["slug"]: row["id"] for row in await fetch("SELECT id, slug FROM catalog_products")}
    staff = await staff_client(app, permissions=["catalog:read", "catalog:write"])

    status, page = await _get(staff, "/admin/products")
    assert status == 200 and _ids(page) == [ids["cap-1"], ids["mug-1"]]
    next_url = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert _ids((await _get(staff, next_url))[1]) == [ids["tee-1"]]
    assert _ids((await _get(staff, "/admin/products?q=MUG"))[1]) == [ids["mug-1"]]
    assert (await _get(staff, "/admin/products?cursor=forged"))[0] in (400, 422)
    assert (await _get(staff, "/admin/products?status=gone"))[0] == 422

    # price changes: refused when ambiguous or out of bounds, exact otherwise; nothing half-written
    for mode, change, message in (("percent", "10", "sign"), ("amount", "-1,50", "point"),
                                  ("amount", "+10%", "percentage"), ("amount", "-0.051", "decimals"),
                                  ("amount", "-0.06", "below zero"), ("percent", "+9999999", "percentage")):
        status, page, _ = await _post(staff, "/admin/products/bulk", {
            "action": "price", "change_mode": mode, "change": change, "product": [str(ids["tee-1"]), str(ids["cap-1"])]})
        assert status == 422 and message in page, (change, status)
    assert await fetchval("SELECT price_amount FROM catalog_variants WHERE sku = 'TEE-1'") == 1999
    status, _, location = await _post(staff, "/admin/products/bulk", {
        "action": "price", "change_mode": "percent", "change": "-10 %", "product": [str(ids["tee-1"]), str(ids["mug-1"])]})
    assert status == 303 and "n=2" in location
    prices = {row["sku"]: row["price_amount"] for row in await fetch("SELECT sku, price_amount FROM catalog_variants")}
    assert prices == {"TEE-1": 1799, "MUG-1": 900, "CAP-1": 5}  # 1799.1 rounds half up to 1799
    assert await fetchval("SELECT price_min FROM catalog_products WHERE slug = 'tee-1'") == 1799
    await _post(staff, "/admin/products/bulk", {"action": "price", "change_mode": "amount", "change": "+0.01",
                                                "product": [str(ids["tee-1"])]})
    assert await fetchval("SELECT price_amount FROM catalog_variants WHERE sku = 'TEE-1'") == 1800

    status, _, _ = await _post(staff, "/admin/products/bulk", {"action": "unpublish", "product": [str(ids["mug-1"])]})
    assert status == 303
    assert _ids((await _get(staff, "/admin/products?status=draft"))[1]) == [ids["mug-1"]]
    await _post(staff, "/admin/products/bulk", {"action": "category", "category": "shirts",
                                                "product": [str(ids["tee-1"]), str(ids["mug-1"])]})
    assert _ids((await _get(staff, "/admin/products?category=shirts"))[1]) == [ids["mug-1"], ids["tee-1"]]
    status, page, _ = await _post(staff, "/admin/products/bulk", {"action": "publish", "product": ["999999"]})
    assert status == 404
    assert await _audited("product.bulk_price") == 2 and await _audited("product.bulk_unpublish") == 1
    assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'product_saved'") >= 3


async def test_create_edit_image_and_stock_with_history(make_app, database_url, tmp_path):
    app = await make_app(database_url=database_url, media={"directory": str(tmp_path / "media"),
                                                           "max_image_bytes": 2048})
    staff = await staff_client(app, permissions=["catalog:read", "catalog:write"])
    base = {"title": "Linen shirt", "slug": "linen-shirt", "status": "published", "description": "Cool."}

    # unreadable rows come back at their fields with the values typed; nothing is written
    status, page, _ = await _post(staff, "/admin/products/new", {**base, **_variant_form([
        ("LIN-S", "size: S", "29,90", "200"), ("LIN-M", "size M", "29.90", "heavy")])})
    assert status == 422 and 'value="29,90"' in page and "v-1-options-error" in page and "v-1-weight-error" in page
    assert await fetchval("SELECT COUNT(*) FROM catalog_products") == 0

    await save_attribute(app.runtime, {"code": "material", "name": "Material", "type": "choice",
                                       "choices": ["Linen", "Wool"]})
    _, page = await _get(staff, "/admin/products/new")
    assert "<option>Linen</option>" in page
    status, _, location = await _post(staff, "/admin/products/new", {**base, "attr-material": "Linen", **_variant_form([
        ("LIN-S", "size: S", "29.90", "200"), ("LIN-M", "size: M", "31", "210"), ("", "", "", "")])})
    assert status == 303
    product_id = int(re.search(r"/admin/products/(\d+)", location).group(1))
    assert (await manage.editable_product("linen-shirt"))["attributes"] == {"material": "Linen"}
    product = await manage.staff_product("linen-shirt")
    assert [(v["sku"], v["options"], v["price"]["amount"]) for v in product["variants"]] == [
        ("LIN-S", {"size": "S"}, 2990), ("LIN-M", {"size": "M"}, 3100)]
    status, page, _ = await _post(staff, "/admin/products/new", {**base, **_variant_form([("X-1", "", "1", "0")])})
    assert status == 409 and "exists" in page

    # edit: rename, delete one variant, add one
    path = f"/admin/products/{product_id}"
    status, _, _ = await _post(staff, path, {**base, "slug": "linen-shirt-2", **_variant_form([
        ("LIN-S", "size: S", "25.00", "200"), ("LIN-M", "size: M", "31.00", "210"), ("LIN-L", "size: L", "33.50", "0")]),
        "v-0-existing": "1", "v-1-existing": "1", "v-1-delete": "1"}, token_from=path)
    assert status == 303
    product = await manage.staff_product("linen-shirt-2")
    assert [(v["sku"], v["price"]["amount"]) for v in product["variants"]] == [("LIN-S", 2500), ("LIN-L", 3350)]
    status, page, _ = await _post(staff, path, {**base, "slug": "linen-shirt-3", "categories": "nowhere",
                                                **_variant_form([("LIN-S", "size: S", "1.00", "0")])}, token_from=path)
    assert status == 422 and "nowhere" in page
    assert await manage.staff_product("linen-shirt-3") is None  # the rename went back with the refused save
    assert (await manage.editable_product("linen-shirt-2"))["variants"][0]["price_amount"] == 2500

    # images: checked by their bytes and size, served from the storage to the storefront
    images = f"{path}/images"
    status, page, _ = await _post(staff, images, {"alt": "x"}, token_from=path)
    assert status == 422 and "empty" in page

    def upload(data: bytes, name: str) -> dict:
        return {"image": _upload(data, name)}

    status, page, _ = await _post(staff, images, {"alt": "x"}, upload(b"<svg onload=alert(1)>", "a.png"), path)
    assert status == 422 and "PNG, JPEG, GIF or WebP" in page
    status, page, _ = await _post(staff, images, {"alt": "x"}, upload(b"GIF89a" + b"x" * 3000, "big.gif"), path)
    assert status == 422 and "at most 2 KB" in page
    status, page, _ = await _post(staff, images, {"alt": ""}, upload(PNG, "shirt.png"), path)
    assert status == 422 and "Describe the image" in page
    assert (await manage.editable_product("linen-shirt-2"))["images"] == []
    status, _, _ = await _post(staff, images, {"alt": "Linen shirt, front"}, upload(PNG, "shirt.txt"), path)
    assert status == 303
    url = (await manage.editable_product("linen-shirt-2"))["images"][0]["url"]
    assert url.startswith("/media/catalog/") and url.endswith(".png")
    served = await app.test_client().get(url)
    assert served.status_code == 200 and await served.get_data() == PNG and served.content_type == "image/png"
    storefront = await (await app.test_client().get("/p/linen-shirt-2")).get_data(as_text=True)
    assert url in storefront and "Linen shirt, front" in storefront
    assert (await app.test_client().get("/media/catalog/../../etc/passwd")).status_code == 404

    # stock: add, remove too much (refused), set; each kept with its reason and who
    stock = f"{path}/stock"
    assert (await _post(staff, stock, {"sku": "LIN-S", "warehouse": "default", "mode": "add", "quantity": "+12",
                                       "reason": "Delivery 4711"}, token_from=path))[0] == 303
    status, page, _ = await _post(staff, stock, {"sku": "LIN-S", "warehouse": "default", "mode": "add",
                                                 "quantity": "-20", "reason": "Damaged"}, token_from=path)
    assert status == 422 and "only 12 on hand" in page
    status, page, _ = await _post(staff, stock, {"sku": "LIN-S", "warehouse": "default", "mode": "set",
                                                 "quantity": "9", "reason": ""}, token_from=path)
    assert status == 422 and "reason" in page
    assert (await _post(staff, stock, {"sku": "LIN-S", "warehouse": "default", "mode": "set", "quantity": "9",
                                       "reason": "Counted"}, token_from=path))[0] == 303
    assert (await manage.variant_stock("LIN-S"))["quantity_available"] == 9
    _, page = await _get(staff, path)
    history = page[page.index('id="stock-history"'):]
    assert history.index("Counted") < history.index("Delivery 4711") and "-3" in history and "+12" in history
    assert "staff-" in history
    events = await fetch("SELECT payload FROM outbox_events WHERE name = 'stock_changed' ORDER BY id")
    assert [json.loads(e["payload"])["on_hand"] for e in events] == [12, 9]
    assert await _audited("product.stock") == 2 and await _audited("product.image") == 1
    refused = await staff.post(f"{path}/delete", form={})  # no CSRF token
    assert refused.status_code == 403 and await fetchval("SELECT COUNT(*) FROM catalog_products") == 1
    entry = (await audit.AuditEntry.select().where(audit.AuditEntry.action == "product.create").run())[0]
    assert entry["target"] == f"product={product_id}"


async def test_csv_import_and_export_run_as_jobs(make_app, database_url):
    app = await make_app(database_url=database_url)
    staff = await staff_client(app, permissions=["catalog:read", "catalog:write"])
    good = ("product_slug,title,status,sku,price,stock\n"
            "mug,Mug,published,MUG-1,9.50,4\nmug,,,MUG-2,10.00,1\n")
    files = {"file": _upload(good.encode(), "mugs.csv")}
    status, _, location = await _post(staff, "/admin/products/transfers/import", {}, files, "/admin/products/transfers")
    assert status == 303

    async def finished(path: str) -> str:
        async def done():
            _, page = await _get(staff, path)
            return 'data-status="done"' in page or 'data-status="failed"' in page
        await wait_until(done, timeout=30)
        return (await _get(staff, path))[1]

    page = await finished(location)
    assert 'data-status="done"' in page and "2 of 2 rows" in page
    assert await fetchval("SELECT COUNT(*) FROM catalog_variants") == 2

    bad = good.replace("MUG-2,10.00", "MUG-2,ten") + "cup,Cup,draft,CUP-1,3.00,1\n"
    status, _, location = await _post(staff, "/admin/products/transfers/import", {},
                                      {"file": _upload(bad.encode(), "bad.csv")}, "/admin/products/transfers")
    page = await finished(location)
    assert 'data-status="failed"' in page and "line 3" in page and "Nothing was imported" in page
    assert await fetchval("SELECT COUNT(*) FROM catalog_products WHERE slug = 'cup'") == 0
    _, _, location = await _post(staff, "/admin/products/transfers/import", {},
                                 {"file": _upload(b"name,colour\nMug,red\n", "other.csv")}, "/admin/products/transfers")
    page = await finished(location)
    assert "line 1: missing column &#39;product_slug&#39;" in page
    status, page, _ = await _post(staff, "/admin/products/transfers/import", {},
                                  {"file": _upload(b"\xff\xfe\x00", "x.csv")}, "/admin/products/transfers")
    assert status == 422 and "UTF-8" in page

    status, _, location = await _post(staff, "/admin/products/transfers/export", {}, None, "/admin/products/transfers")
    page = await finished(location)
    response = await staff.get(location + "/products.csv")
    text = await response.get_data(as_text=True)
    assert response.status_code == 200 and "MUG-1" in text and "9.50" in text and len(text.splitlines()) == 3
    assert await _audited("product.import") == 3 and await _audited("product.export") == 1


def _upload(data: bytes, name: str) -> FileStorage:
    """A file as a browser uploads it (its claimed type is not trusted)."""
    return FileStorage(io.BytesIO(data), filename=name, content_type="image/png")


async def test_reading_staff_are_refused_every_form(make_app):
    """Permissions, not data: SQLite only."""
    app = await make_app()
    await add_product(app.runtime, "TEE-1", slug="tee")
    product_id = await fetchval("SELECT id FROM catalog_products")
    reader = await staff_client(app, permissions=["catalog:read"])
    assert (await _get(reader, f"/admin/products/{product_id}"))[0] == 200
    _, page = await _get(reader, "/admin/products")
    token = _token(page)
    for path in ("/admin/products/bulk", "/admin/products/new", f"/admin/products/{product_id}",
                 f"/admin/products/{product_id}/images", f"/admin/products/{product_id}/stock",
                 f"/admin/products/{product_id}/delete", "/admin/products/transfers/import",
                 "/admin/products/transfers/export"):
        response = await reader.post(path, form={"csrf_token": token, "action": "publish", "product": str(product_id)})
        assert response.status_code == 403, path
    assert await fetchval("SELECT COUNT(*) FROM catalog_products") == 1


async def test_categories_and_warehouses_pages(make_app, database_url):
    app = await make_app(database_url=database_url)
    staff = await staff_client(app, permissions=["catalog:read", "catalog:write"])
    form = {"slug": "clothing", "name": "Clothing", "parent": "", "position": "1"}
    status, _, location = await _post(staff, "/admin/categories", form, token_from="/admin/categories")
    assert status == 303 and location.startswith("/admin/categories/clothing")
    status, page, _ = await _post(staff, "/admin/categories", form, token_from="/admin/categories")
    assert status == 409 and "exists" in page
    await _post(staff, "/admin/categories", {**form, "slug": "coats", "name": "Coats", "parent": "clothing"},
                token_from="/admin/categories")
    status, page, _ = await _post(staff, "/admin/categories/clothing", {**form, "parent": "coats"},
                                  token_from="/admin/categories/clothing")
    assert status == 422 and "ancestor" in page
    status, page, _ = await _post(staff, "/admin/categories/coats", {"name": "Coats & jackets", "parent": "clothing",
                                                                      "position": "x"}, token_from="/admin/categories")
    assert status == 422 and "whole number" in page
    assert (await _post(staff, "/admin/categories/coats", {"name": "Coats & jackets", "parent": "clothing",
                                                           "position": "2"}, token_from="/admin/categories"))[0] == 303
    _, page = await _get(staff, "/admin/categories")
    assert page.index("Clothing") < page.index("— <a href=\"/admin/categories/coats\">Coats &amp; jackets")
    assert (await _post(staff, "/admin/categories/coats/delete", {}, token_from="/admin/categories"))[0] == 303
    assert (await _get(staff, "/admin/categories/coats"))[0] == 404

    status, page, _ = await _post(staff, "/admin/warehouses", {"code": "Hamburg!", "name": "Hamburg"},
                                  token_from="/admin/warehouses")
    assert status == 422 and "lower-case" in page
    assert (await _post(staff, "/admin/warehouses", {"code": "hamburg", "name": "Hamburg port", "is_default": "1"},
                        token_from="/admin/warehouses"))[0] == 303
    _, page = await _get(staff, "/admin/warehouses")
    assert re.search(r'data-warehouse="hamburg"><td>Hamburg port <span class="badge">default', page)
    assert await _audited("category.create") == 2 and await _audited("warehouse.save") == 1


async def test_collections_and_attributes_pages(make_app, database_url):
    app = await make_app(database_url=database_url)
    staff = await staff_client(app, permissions=["catalog:read", "catalog:write"])
    reader = await staff_client(app, permissions=["catalog:read"])
    for slug in ("mug-1", "tee-1"):
        await add_product(app.runtime, slug.upper(), price=900, stock=1, slug=slug, title=slug.title())

    form = {"slug": "gifts", "title": "Gifts", "position": "0", "description": "", "products": "tee-1\nnowhere"}
    status, page, _ = await _post(staff, "/admin/collections", form, token_from="/admin/collections")
    assert status == 422 and "no product &#39;nowhere&#39;" in page and "nowhere" in page   # what was typed stays
    assert await fetchval("SELECT COUNT(*) FROM catalog_collections") == 0
    status, _, location = await _post(staff, "/admin/collections", {**form, "products": "tee-1\nmug-1"},
                                      token_from="/admin/collections")
    assert status == 303 and location == "/admin/collections/gifts?done=1"
    _, page = await _get(staff, "/admin/collections/gifts")
    assert "tee-1\nmug-1" in page
    assert (await _post(staff, "/admin/collections/gifts", {**form, "title": "Gifts!", "products": "mug-1"},
                        token_from="/admin/collections/gifts"))[0] == 303
    assert (await catalog_services.collection_members("gifts"))["products"] == ["mug-1"]
    assert (await _get(staff, "/admin/collections/nowhere"))[0] == 404
    assert (await _get(reader, "/admin/collections/gifts"))[0] == 200
    refused, _, _ = await _post(reader, "/admin/collections/gifts", form, token_from="/admin/collections")
    assert refused == 403

    status, page, _ = await _post(staff, "/admin/attributes", {"code": "fabric", "name": "Fabric", "type": "choice",
                                                               "choices": "", "position": "1", "filterable": "1"},
                                  token_from="/admin/attributes")
    assert status == 422 and "at least one choice" in page
    assert (await _post(staff, "/admin/attributes", {"code": "fabric", "name": "Fabric", "type": "choice",
                                                     "choices": "linen, wool", "position": "1", "filterable": "1"},
                        token_from="/admin/attributes"))[0] == 303
    _, page = await _get(staff, "/admin/attributes")
    assert re.search(r'data-attribute="fabric"><td>fabric</td><td data-label="Name">Fabric</td>\s*'
                     r'<td data-label="Type">choice</td><td data-label="Choices">linen, wool</td>', page)
    status, page, _ = await _post(staff, "/admin/attributes", {"code": "q", "name": "Query", "type": "text"},
                                  token_from="/admin/attributes")
    assert status == 422 and "reserved" in page
    assert await _audited("collection.save") == 2 and await _audited("attribute.save") == 1


async def test_an_import_runs_on_an_arq_worker_once(sqlite_url, redis_url, make_app):
    from engine.catalog.transfers import run_import
    from engine.jobs.arq_queue import make_worker

    app = await make_app(database_url=sqlite_url, redis_url=redis_url)
    staff = await staff_client(app, permissions=["catalog:read", "catalog:write"])
    csv = b"product_slug,title,sku,price,stock\ncup,Cup,CUP-1,3.00,2\n"
    _, _, location = await _post(staff, "/admin/products/transfers/import", {}, {"file": _upload(csv, "cups.csv")},
                                 "/admin/products/transfers")
    assert 'data-status="queued"' in (await _get(staff, location))[1]
    worker = make_worker(app.runtime, burst=True)
    try:
        await worker.main()
    finally:
        await worker.close()
    assert 'data-status="done"' in (await _get(staff, location))[1]
    transfer_id = int(location.rsplit("/", 1)[1])
    assert await run_import(app.runtime, transfer_id) == "finished before"  # delivered twice: done once
    assert await fetchval("SELECT on_hand FROM catalog_stock") == 2


async def test_concurrent_removals_never_take_stock_below_zero(make_app, database_url):
    import asyncio

    from engine.catalog.stock_history import adjust_stock
    from engine.errors import InvalidInput

    app = await make_app(database_url=database_url)
    await add_product(app.runtime, "TEE-1", stock=5, slug="tee")
    results = await asyncio.gather(*(adjust_stock(app.runtime, "TEE-1", None, "add", -2, "Damaged", "test")
                                     for _ in range(4)), return_exceptions=True)
    assert sum(isinstance(r, InvalidInput) for r in results) == 2
    assert await fetchval("SELECT on_hand FROM catalog_stock") == 1
    changes = await fetch("SELECT change, on_hand FROM catalog_stock_movements ORDER BY id")
    assert changes == [{"change": -2, "on_hand": 3}, {"change": -2, "on_hand": 1}]
