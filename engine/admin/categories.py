"""Categories in the admin: ``/admin/categories`` lists them as a tree with a
form to create one, ``/admin/categories/<slug>`` edits one (name, parent,
description, position, SEO fields) or deletes it (its sub-categories become
roots, its products stay). ``catalog:read`` to see, ``catalog:write`` for the
forms. The services are :mod:`engine.catalog.manage`'s (the admin API's);
refusals (a taken slug 409, a parent that would make a loop 422) come back at
their fields. Audited as ``category.create``, ``category.update``,
``category.delete`` (target ``category=<slug>``)."""
from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, redirect, request

from engine.admin.access import staff_page
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.catalog import manage
from engine.errors import NotFound, ShopError
from engine.web.audit import record

blueprint = Blueprint("admin_categories", __name__)

READ, WRITE = "catalog:read", "catalog:write"
FIELDS = {"slug": 200, "name": 200, "parent": 200, "description": 20_000, "position": 20, "seo_title": 300,
          "seo_description": 1000}


def tree_order(categories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flat list in tree order (each parent before its children), with ``depth``."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for category in categories:
        children.setdefault(category["parent"], []).append(category)
    ordered: list[dict[str, Any]] = []

    def visit(parent: str | None, depth: int) -> None:
        for category in children.get(parent, []):
            ordered.append({**category, "depth": depth})
            visit(category["slug"], depth + 1)

    visit(None, 0)
    return ordered


async def _typed() -> dict[str, Any]:
    form = await request.form
    typed: dict[str, Any] = {name: form.get(name, "").strip()[:limit] for name, limit in FIELDS.items()}
    typed["parent"] = typed["parent"] or None
    return typed


def _values(typed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    values = dict(typed)
    try:
        values["position"] = int(typed["position"] or 0)
    except ValueError:
        return values, {"position": "Enter a whole number."}
    return values, {}


async def _list(status: int = 200, typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None):
    return await render_admin("admin/categories.html", status=status, categories=tree_order(
        await manage.list_categories()), typed=typed or {}, errors=errors or {})


@blueprint.get("/admin/categories")
@staff_page(READ)
async def category_list():
    return await _list()


@blueprint.post("/admin/categories")
@staff_page(WRITE)
@once_per_submission
async def create_category():
    typed = await _typed()
    values, errors = _values(typed)
    if errors:
        return await _list(422, typed, errors)
    try:
        await manage.create_category(current_app.runtime, values)
    except ShopError as exc:
        return await _list(exc.status, typed, dict(getattr(exc, "errors", None) or {"slug": str(exc)}))
    await record("category.create", f"category={values['slug']}", {"name": values["name"]})
    return redirect(f"/admin/categories/{values['slug']}?done=1", 303)


async def _page(slug: str, status: int = 200, typed: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None):
    category = await manage.get_category(slug)
    others = [c for c in tree_order(await manage.list_categories()) if c["slug"] != slug]
    return await render_admin("admin/category.html", status=status, category=category, parents=others,
                              typed=typed or category, errors=errors or {},
                              message="Saved." if request.args.get("done") else "")


@blueprint.get("/admin/categories/<slug>")
@staff_page(READ)
async def category_page(slug: str):
    try:
        return await _page(slug)
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc),
                                  link="/admin/categories")


@blueprint.post("/admin/categories/<slug>")
@staff_page(WRITE)
async def save_category(slug: str):
    typed = {**await _typed(), "slug": slug}
    values, errors = _values(typed)
    try:
        if errors:
            return await _page(slug, 422, typed, errors)
        values.pop("slug")
        await manage.update_category(current_app.runtime, slug, values)
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc))
    except ShopError as exc:
        return await _page(slug, exc.status, typed, dict(getattr(exc, "errors", None) or {"name": str(exc)}))
    await record("category.update", f"category={slug}", {"keys": sorted(values)})
    return redirect(f"/admin/categories/{slug}?done=1", 303)


@blueprint.post("/admin/categories/<slug>/delete")
@staff_page(WRITE)
async def delete_category(slug: str):
    try:
        await manage.delete_category(current_app.runtime, slug)
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc))
    await record("category.delete", f"category={slug}")
    return redirect("/admin/categories", 303)
