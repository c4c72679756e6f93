"""Warehouses in the admin: ``/admin/warehouses`` lists the stock locations
with the stock they hold and a form that creates one or renames one (by its
code) and can make it the default (``catalog:read`` to see,
``catalog:write`` to change; :func:`engine.catalog.writes.save_warehouse`).
Audited as ``warehouse.save`` (target ``warehouse=<code>``)."""
from __future__ import annotations

from quart import Blueprint, current_app, redirect, request

from engine.admin.access import staff_page
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.catalog import services
from engine.catalog.writes import save_warehouse
from engine.db.sql import fetch
from engine.errors import ShopError
from engine.web.audit import record

blueprint = Blueprint("admin_warehouses", __name__)

READ, WRITE = "catalog:read", "catalog:write"


async def _page(status: int = 200, typed: dict | None = None, errors: dict | None = None, message: str = ""):
    totals = {row["warehouse"]: row for row in await fetch(
        "SELECT warehouse, COALESCE(SUM(on_hand), 0) AS on_hand, COALESCE(SUM(reserved), 0) AS reserved "
        "FROM catalog_stock GROUP BY warehouse")}
    warehouses = [{**w, "on_hand": int(totals.get(w["id"], {}).get("on_hand", 0)),
                   "reserved": int(totals.get(w["id"], {}).get("reserved", 0))}
                  for w in await services.list_warehouses()]
    return await render_admin("admin/warehouses.html", status=status, warehouses=warehouses, typed=typed or {},
                              errors=errors or {}, message=message)


@blueprint.get("/admin/warehouses")
@staff_page(READ)
async def warehouse_list():
    return await _page(message="Saved." if request.args.get("done") else "")


@blueprint.post("/admin/warehouses")
@staff_page(WRITE)
@once_per_submission
async def save():
    form = await request.form
    typed = {"code": form.get("code", "").strip()[:50], "name": form.get("name", "").strip()[:200],
             "is_default": bool(form.get("is_default"))}
    try:
        await save_warehouse(current_app.runtime, typed["code"], typed["name"], typed["is_default"])
    except ShopError as exc:
        return await _page(exc.status, typed, dict(getattr(exc, "errors", None) or {"code": str(exc)}))
    await record("warehouse.save", f"warehouse={typed['code']}", {"name": typed["name"],
                                                                   "default": typed["is_default"]})
    return redirect("/admin/warehouses?done=1", 303)
