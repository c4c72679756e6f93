"""Admin API tokens, ``/admin/tokens``: the list (``staff:read``, never the
tokens themselves); making one (shown once, on the answer page) and revoking
one (``staff:write``). The rules and audit entries are
:mod:`engine.accounts.api_tokens`'s."""
from __future__ import annotations

from quart import Blueprint, g, redirect, request

from engine.accounts import api_tokens
from engine.accounts.roles import SCOPES, AccountError, grants
from engine.admin.access import staff_page
from engine.admin.common import refuse, refused
from engine.admin.rendering import render_admin
from engine.web.audit import mark_audited, request_actor

blueprint = Blueprint("admin_tokens", __name__)

LINK = "/admin/tokens"


@blueprint.get("/admin/tokens")
@staff_page("staff:read")
async def tokens():
    return await render_admin("admin/tokens.html", tokens=await api_tokens.list_tokens(), scopes=SCOPES,
                              can_write=grants(g.actor["permissions"], "staff:write"))


@blueprint.post("/admin/tokens")
@staff_page("staff:write")
async def token_create():
    form = await request.form
    try:
        scopes = api_tokens.parse_scopes(form.getlist("scopes"))
        days = int(form.get("expires_days") or 0) or None
    except (AccountError, ValueError) as exc:
        return await refuse(str(exc), LINK, 422)
    try:
        token, row = await api_tokens.create_token(form.get("name", ""), scopes, days, actor=request_actor())
    except AccountError as exc:
        return await refused(exc, LINK)
    mark_audited()
    return await render_admin("admin/tokens.html", tokens=await api_tokens.list_tokens(), scopes=SCOPES,
                              can_write=True, new_token=token, new_name=row["name"])


@blueprint.post("/admin/tokens/<int:token_id>/revoke")
@staff_page("staff:write")
async def token_revoke(token_id: int):
    try:
        await api_tokens.revoke_token(token_id, actor=request_actor())
    except AccountError as exc:
        return await refused(exc, LINK)
    mark_audited()
    return redirect(LINK, 303)
