"""Promotions and vouchers in the admin: ``/admin/promotions`` (the list),
``/admin/promotions/new`` and ``/admin/promotions/<id>`` (the form) with
``catalog:read`` to look and ``catalog:write`` to create, change or
deactivate — the same permissions and the same service
(:mod:`engine.pricing.manage`) as the JSON API ``/api/v1/admin/promotions``.

A promotion with a code is a voucher; "delete" deactivates it (orders keep
referring to it), as in the API. The form's text is read by
:mod:`engine.admin.promotion_form`; each change is one audit entry (the
admin's write audit, :mod:`engine.web.audit`).
"""
from __future__ import annotations

from quart import Blueprint, current_app, g, redirect, request

from engine.accounts.roles import grants
from engine.admin import promotion_form
from engine.admin.access import staff_page
from engine.admin.common import form_fields, refuse
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.db.sql import reading
from engine.errors import NotFound, ShopError
from engine.pricing import manage

blueprint = Blueprint("admin_promotions", __name__)

READ, WRITE = "catalog:read", "catalog:write"
LINK = "/admin/promotions"


async def _form_page(promotion: dict | None, typed: dict, errors: dict, status: int = 200, message: str = ""):
    return await render_admin("admin/promotion.html", status=status, promotion=promotion, typed=typed,
                              errors=errors, message=message, kinds=promotion_form.KINDS,
                              scopes=promotion_form.SCOPES, currency=current_app.settings.store.currency,
                              can_write=grants(g.actor["permissions"], WRITE))


@blueprint.get("/admin/promotions")
@staff_page(READ)
async def promotion_list():
    async with reading():
        promotions = await manage.list_promotions()
    rows = [{**p, "summary": promotion_form.describe(p)} for p in promotions]
    return await render_admin("admin/promotions.html", promotions=rows, saved=request.args.get("saved"),
                              can_write=grants(g.actor["permissions"], WRITE))


@blueprint.get("/admin/promotions/new")
@staff_page(WRITE)
async def promotion_new():
    return await _form_page(None, promotion_form.blank_form(), {})


@blueprint.get("/admin/promotions/<int:promotion_id>")
@staff_page(READ)
async def promotion_edit(promotion_id: int):
    try:
        promotion = await manage.get_promotion(promotion_id)
    except NotFound as exc:
        return await refuse(str(exc), LINK, 404)
    return await _form_page(promotion, promotion_form.as_form(promotion), {})


async def _save(promotion: dict | None):
    runtime = current_app.runtime
    payload, typed, errors = promotion_form.read_form(await form_fields(), runtime.settings.store.currency)
    typed.update({name: payload[name] for name in promotion_form.FLAGS})
    if errors:
        return await _form_page(promotion, typed, errors, 422, "Correct the fields marked below.")
    try:
        if promotion is None:
            saved = await manage.create_promotion(runtime, payload)
        else:
            saved = await manage.update_promotion(runtime, promotion["id"], payload)
    except ShopError as exc:
        return await _form_page(promotion, typed, exc.errors, exc.status, str(exc))
    return redirect(f"{LINK}?saved={saved['id']}", 303)


@blueprint.post("/admin/promotions")
@staff_page(WRITE)
@once_per_submission
async def promotion_create():
    return await _save(None)


@blueprint.post("/admin/promotions/<int:promotion_id>")
@staff_page(WRITE)
async def promotion_update(promotion_id: int):
    try:
        promotion = await manage.get_promotion(promotion_id)
    except NotFound as exc:
        return await refuse(str(exc), LINK, 404)
    return await _save(promotion)


@blueprint.post("/admin/promotions/<int:promotion_id>/delete")
@staff_page(WRITE)
async def promotion_delete(promotion_id: int):
    """Deactivate (the row stays for the orders that used it)."""
    try:
        await manage.delete_promotion(current_app.runtime, promotion_id)
    except NotFound as exc:
        return await refuse(str(exc), LINK, 404)
    return redirect(f"{LINK}?saved={promotion_id}", 303)
