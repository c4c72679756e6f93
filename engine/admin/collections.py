"""Collections in the admin: ``/admin/collections`` lists them with a form to
create one, ``/admin/collections/<slug>`` edits one — title, description,
position and its products (their slugs, one a line, in the order shown; the
``featured`` collection feeds the home page). ``catalog:read`` to see,
``catalog:write`` for the forms. The service is
:func:`engine.catalog.services.save_collection` (the one the import and the
demo catalog use); an unknown product slug comes back at its field (422).
Audited as ``collection.save`` (target ``collection=<slug>``)."""
from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, redirect, request

from engine.admin.access import staff_page
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.catalog import services as catalog
from engine.errors import ShopError
from engine.web.audit import record

blueprint = Blueprint("admin_collections", __name__)

READ, WRITE = "catalog:read", "catalog:write"
FIELDS = {"slug": 200, "title": 300, "description": 20_000, "position": 20, "products": 100_000}
MAX_PRODUCTS = 1000


async def _typed() -> dict[str, Any]:
    form = await request.form
    return {name: form.get(name, "").strip()[:limit] for name, limit in FIELDS.items()}


def _values(typed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's input from the typed form, and the fields that cannot be read."""
    values = {key: typed[key] for key in ("slug", "title", "description")}
    errors: dict[str, str] = {}
    try:
        values["position"] = int(typed["position"] or 0)
    except ValueError:
        errors["position"] = "Enter a whole number."
    slugs = [line.strip() for line in typed["products"].replace(",", "\n").splitlines() if line.strip()]
    if len(slugs) > MAX_PRODUCTS:
        errors["products"] = f"At most {MAX_PRODUCTS} products."
    values["products"] = slugs
    return values, errors


async def _save(typed: dict[str, Any], on_error):
    values, errors = _values(typed)
    if errors:
        return await on_error(422, typed, errors)
    try:
        await catalog.save_collection(current_app.runtime, values)
    except ShopError as exc:
        return await on_error(exc.status, typed, dict(getattr(exc, "errors", None) or {"title": str(exc)}))
    await record("collection.save", f"collection={values['slug']}", {"products": len(values["products"])})
    return redirect(f"/admin/collections/{values['slug']}?done=1", 303)


async def _list(status: int = 200, typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None):
    return await render_admin("admin/collections.html", status=status, collections=await catalog.list_collections(),
                              typed=typed or {}, errors=errors or {})


@blueprint.get("/admin/collections")
@staff_page(READ)
async def collection_list():
    return await _list()


@blueprint.post("/admin/collections")
@staff_page(WRITE)
@once_per_submission
async def create_collection():
    return await _save(await _typed(), _list)


def _page_for(slug: str):
    async def page(status: int = 200, typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None):
        collection = await catalog.collection_members(slug)
        if collection is None:
            return await render_admin("admin/message.html", status=404, title="Not found",
                                      message=f"There is no collection {slug!r}.", link="/admin/collections")
        shown = typed or {**collection, "products": "\n".join(collection["products"])}
        return await render_admin("admin/collection.html", status=status, collection=collection, typed=shown,
                                  errors=errors or {}, message="Saved." if request.args.get("done") else "")
    return page


@blueprint.get("/admin/collections/<slug>")
@staff_page(READ)
async def collection_page(slug: str):
    return await _page_for(slug)()


@blueprint.post("/admin/collections/<slug>")
@staff_page(WRITE)
async def save_collection(slug: str):
    page = _page_for(slug)
    if await catalog.collection_members(slug) is None:
        return await page()
    return await _save({**await _typed(), "slug": slug}, page)
