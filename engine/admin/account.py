"""The signed-in staff member's own pages: ``/admin/account`` (their sessions, a password change, "sign out everywhere
else"). Every staff member may use them (:data:`~engine.admin.access.ANY_STAFF`).

The changes, their audit entries and the sessions they end are
:mod:`engine.accounts.staff`'s; the views rotate the current session after
them, so the page keeps working under a fresh id.
"""
from __future__ import annotations

import time

from quart import Blueprint, current_app, g

from engine.accounts import staff as staff_service
from engine.admin.access import ANY_STAFF, staff_page
from engine.admin.common import form_fields, staff_session
from engine.admin.rendering import render_admin
from engine.web import sessions
from engine.web.audit import mark_audited, request_actor

blueprint = Blueprint("admin_account", __name__)


@blueprint.get("/admin/account")
@staff_page(ANY_STAFF)
async def account():
    session = await staff_session()
    records = await sessions.user_sessions("staff", g.actor["id"])
    listed = [{"current": r.sid_hash == session.stored_hash, "ip": r.ip, "user_agent": r.user_agent,
               "last_seen": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r.last_seen_at))} for r in records]
    return await render_admin("admin/account.html", sessions=listed, me=await staff_service.get_staff(g.actor["id"]))


@blueprint.post("/admin/account/password")
@staff_page(ANY_STAFF)
async def account_password():
    form = await form_fields()
    try:
        await staff_service.change_password(current_app.runtime, g.actor["id"], str(form.get("current_password", "")),
                                            str(form.get("new_password", "")), actor=request_actor())
    except staff_service.AccountError as exc:
        return await render_admin("admin/message.html", status=422, title="Password not changed", message=str(exc),
                                  link="/admin/account")
    mark_audited()
    await sessions.rotate(await staff_session())
    return await render_admin("admin/message.html", title="Password changed",
                              message="Your password is changed; your other sessions were signed out.",
                              link="/admin/account")


@blueprint.post("/admin/account/sessions/end-others")
@staff_page(ANY_STAFF)
async def account_end_others():
    session = await staff_session()
    ended = await staff_service.end_other_sessions(current_app.runtime, g.actor["id"], session.stored_hash,
                                                   actor=request_actor())
    mark_audited()
    await sessions.rotate(session)
    return await render_admin("admin/message.html", title="Signed out everywhere else",
                              message=f"{ended} other session(s) were signed out.", link="/admin/account")
