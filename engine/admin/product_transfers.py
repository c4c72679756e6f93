"""Product CSV import and export in the admin, run as jobs
(:mod:`engine.catalog.transfers`): ``/admin/products/transfers`` lists the
latest with their forms (``catalog:read``; starting one needs
``catalog:write``), ``/admin/products/transfers/<id>`` shows one's progress
(the page reloads itself every 2 s while it runs — a meta refresh, no script)
and its errors with their line numbers, and
``/admin/products/transfers/<id>/products.csv`` downloads a finished export.
Starting a transfer is audited (``product.import``, ``product.export``)."""
from __future__ import annotations

from quart import Blueprint, Response, current_app, g, redirect, request

from engine.admin.access import staff_page
from engine.admin.rendering import render_admin
from engine.audit import actor_label
from engine.catalog import transfers
from engine.errors import ShopError
from engine.web.audit import record

blueprint = Blueprint("admin_product_transfers", __name__)

READ, WRITE = "catalog:read", "catalog:write"


async def _list(status: int = 200, errors: dict[str, str] | None = None):
    return await render_admin("admin/product_transfers.html", status=status, errors=errors or {},
                              transfers=await transfers.recent_transfers())


@blueprint.get("/admin/products/transfers")
@staff_page(READ)
async def transfer_list():
    return await _list()


@blueprint.post("/admin/products/transfers/import")
@staff_page(WRITE)
async def start_import():
    files = await request.files
    upload = files.get("file")
    data = upload.read(transfers.MAX_IMPORT_BYTES + 1) if upload else b""
    name = (upload.filename or "") if upload else ""
    try:
        transfer_id = await transfers.start_import(current_app.runtime, data, name, actor_label(g.actor)[0])
    except ShopError as exc:
        return await _list(exc.status, dict(getattr(exc, "errors", None) or {"file": str(exc)}))
    await record("product.import", f"transfer={transfer_id}", {"file": name[:200], "bytes": len(data)})
    return redirect(f"/admin/products/transfers/{transfer_id}", 303)


@blueprint.post("/admin/products/transfers/export")
@staff_page(WRITE)
async def start_export():
    transfer_id = await transfers.start_export(current_app.runtime, actor_label(g.actor)[0])
    await record("product.export", f"transfer={transfer_id}")
    return redirect(f"/admin/products/transfers/{transfer_id}", 303)


@blueprint.get("/admin/products/transfers/<int:transfer_id>")
@staff_page(READ)
async def transfer_page(transfer_id: int):
    transfer = await transfers.get_transfer(transfer_id)
    if transfer is None:
        return await render_admin("admin/message.html", status=404, title="Not found",
                                  message=f"There is no transfer {transfer_id}.", link="/admin/products/transfers")
    return await render_admin("admin/product_transfer.html", transfer=transfer,
                              running=transfer["status"] in ("queued", "running"))


@blueprint.get("/admin/products/transfers/<int:transfer_id>/products.csv")
@staff_page(READ)
async def download(transfer_id: int):
    text = await transfers.exported_file(transfer_id)
    if text is None:
        return await render_admin("admin/message.html", status=404, title="Not found",
                                  message="This export is not finished.", link="/admin/products/transfers")
    return Response(text, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="products-{transfer_id}.csv"', "Cache-Control": "private, no-store"})
