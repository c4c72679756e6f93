"""Roles, ``/admin/roles``: the built-in and custom roles with their
permissions (``staff:read``); saving and deleting custom roles
(``staff:write``). The rules and audit entries are
:mod:`engine.accounts.roles`'s."""
from __future__ import annotations

from quart import Blueprint, current_app, g, redirect, request

from engine.accounts import roles as roles_service
from engine.accounts.permissions import all_permissions
from engine.admin.access import staff_page
from engine.admin.common import refused
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.web.audit import mark_audited, request_actor

blueprint = Blueprint("admin_roles", __name__)

LINK = "/admin/roles"


@blueprint.get("/admin/roles")
@staff_page("staff:read")
async def roles():
    known = await all_permissions(current_app.runtime)
    return await render_admin("admin/roles.html", roles=await roles_service.all_roles(),
                              builtin=set(roles_service.ROLES),
                              permissions=sorted(known.values(), key=lambda p: p.code),
                              can_write=roles_service.grants(g.actor["permissions"], "staff:write"))


@blueprint.post("/admin/roles")
@staff_page("staff:write")
@once_per_submission
async def role_save():
    form = await request.form
    known = await all_permissions(current_app.runtime)
    try:
        await roles_service.save_role(form.get("name", ""), form.getlist("permissions"), form.get("title", ""),
                                      known=known, actor=request_actor())
    except roles_service.AccountError as exc:
        return await refused(exc, LINK)
    mark_audited()
    return redirect(LINK, 303)


@blueprint.post("/admin/roles/<name>/delete")
@staff_page("staff:write")
async def role_delete(name: str):
    try:
        await roles_service.delete_role(name, actor=request_actor())
    except roles_service.AccountError as exc:
        return await refused(exc, LINK)
    mark_audited()
    return redirect(LINK, 303)
