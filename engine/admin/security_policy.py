"""The security policy page, ``/admin/security`` (``security:write``):
require two-factor sign-in for all staff (the owner's switch; the
``security.require_staff_2fa`` setting forces it on). The change and its
audit entry are :mod:`engine.accounts.two_factor`'s."""
from __future__ import annotations

from quart import Blueprint, current_app, redirect

from engine.accounts import two_factor
from engine.admin.access import staff_page
from engine.admin.common import form_fields
from engine.admin.rendering import render_admin
from engine.web.audit import mark_audited, request_actor

blueprint = Blueprint("admin_security_policy", __name__)


@blueprint.get("/admin/security")
@staff_page("security:write")
async def security():
    return await render_admin("admin/security.html",
                              required=await two_factor.staff_2fa_required(current_app.settings),
                              forced_by_settings=current_app.settings.security.require_staff_2fa)


@blueprint.post("/admin/security")
@staff_page("security:write")
async def security_submit():
    form = await form_fields()
    required = str(form.get("require_staff_2fa", "")) in ("1", "on", "true", "yes")
    await two_factor.set_staff_2fa_required(required, actor=request_actor())
    mark_audited()
    return redirect("/admin/security", 303)
