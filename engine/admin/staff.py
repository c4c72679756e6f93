"""Staff members, ``/admin/staff``: the list (``staff:read``); adding a
member, changing their role, (de)activating them and resetting their
two-factor (``staff:write``).

The rules (nobody grants what they do not hold, the last active owner stays,
nobody deactivates themselves), the sessions each change ends and the audit
entries are :mod:`engine.accounts.staff`'s and
:mod:`engine.accounts.two_factor`'s; a refusal is the "Not done" page with
the service's status (403, 409 or 422).
"""
from __future__ import annotations

from quart import Blueprint, current_app, g, redirect

from engine.accounts import staff as staff_service
from engine.accounts import two_factor
from engine.accounts.roles import AccountError, all_roles, grants
from engine.admin.access import staff_page
from engine.admin.common import form_fields, refused, staff_session
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.web import sessions
from engine.web.audit import mark_audited, request_actor

blueprint = Blueprint("admin_staff", __name__)

LINK = "/admin/staff"


@blueprint.get("/admin/staff")
@staff_page("staff:read")
async def staff_list():
    return await render_admin("admin/staff.html", members=await staff_service.list_staff(), roles=await all_roles(),
                              can_write=grants(g.actor["permissions"], "staff:write"))


@blueprint.post("/admin/staff")
@staff_page("staff:write")
@once_per_submission
async def staff_create():
    form = await form_fields()
    try:
        await staff_service.create_staff(str(form.get("email", "")), str(form.get("password", "")),
                                         str(form.get("role", "support")), actor=request_actor())
    except AccountError as exc:
        return await refused(exc, LINK)
    mark_audited()
    return redirect(LINK, 303)


@blueprint.post("/admin/staff/<int:staff_id>/role")
@staff_page("staff:write")
async def staff_role(staff_id: int):
    form = await form_fields()
    session = await staff_session()
    try:
        await staff_service.set_role(current_app.runtime, staff_id, str(form.get("role", "")), actor=request_actor(),
                                     keep_digest=session.stored_hash)
    except AccountError as exc:
        return await refused(exc, LINK)
    mark_audited()
    if staff_id == g.actor["id"]:
        await sessions.rotate(session)
    return redirect(LINK, 303)


@blueprint.post("/admin/staff/<int:staff_id>/active")
@staff_page("staff:write")
async def staff_active(staff_id: int):
    form = await form_fields()
    active = str(form.get("active", "")) in ("1", "true", "on", "yes")
    try:
        await staff_service.set_active(current_app.runtime, staff_id, active, actor=request_actor())
    except AccountError as exc:
        return await refused(exc, LINK)
    mark_audited()
    return redirect(LINK, 303)


@blueprint.post("/admin/staff/<int:staff_id>/reset-2fa")
@staff_page("staff:write")
async def staff_reset_2fa(staff_id: int):
    try:
        await two_factor.reset_two_factor(current_app.runtime, staff_id, actor=request_actor())
    except AccountError as exc:
        return await refused(exc, LINK)
    mark_audited()
    return redirect(LINK, 303)
