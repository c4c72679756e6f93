"""Product attributes in the admin: ``/admin/attributes`` lists the typed
attributes (text, number, yes/no, choice) products carry and the storefront
filters by, with a form that creates one or, for a code that exists, changes
it (name, type, choices, filterable, position). ``catalog:read`` to see,
``catalog:write`` to change. The service is
:func:`engine.catalog.services.save_attribute` (it refuses a reserved code
and a type change of an attribute that has values: 422 at the field).
Audited as ``attribute.save`` (target ``attribute=<code>``)."""
from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, redirect, request

from engine.admin.access import staff_page
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.catalog import services as catalog
from engine.catalog.batch import attribute_definitions
from engine.catalog.tables import ATTRIBUTE_TYPES
from engine.errors import ShopError
from engine.web.audit import record

blueprint = Blueprint("admin_attributes", __name__)

READ, WRITE = "catalog:read", "catalog:write"
FIELDS = {"code": 100, "name": 200, "type": 20, "choices": 10_000, "position": 20}


async def _list(status: int = 200, typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None):
    return await render_admin("admin/attributes.html", status=status, attributes=await attribute_definitions(),
                              types=ATTRIBUTE_TYPES, typed=typed or {"type": "text", "filterable": True},
                              errors=errors or {}, message="Saved." if request.args.get("done") else "")


@blueprint.get("/admin/attributes")
@staff_page(READ)
async def attribute_list():
    return await _list()


@blueprint.post("/admin/attributes")
@staff_page(WRITE)
@once_per_submission
async def save_attribute():
    form = await request.form
    typed: dict[str, Any] = {name: form.get(name, "").strip()[:limit] for name, limit in FIELDS.items()}
    typed["filterable"] = form.get("filterable") == "1"
    values = {**typed, "choices": [choice.strip() for choice in typed["choices"].split(",") if choice.strip()]}
    try:
        values["position"] = int(typed["position"] or 0)
    except ValueError:
        return await _list(422, typed, {"position": "Enter a whole number."})
    try:
        saved = await catalog.save_attribute(current_app.runtime, values)
    except ShopError as exc:
        return await _list(exc.status, typed, dict(getattr(exc, "errors", None) or {"code": str(exc)}))
    await record("attribute.save", f"attribute={saved['code']}", {"type": saved["type"]})
    return redirect("/admin/attributes?done=1", 303)
