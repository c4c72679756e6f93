"""The staff member's own two-factor page, ``/admin/account/2fa``: enrol
(a QR code and the key, confirmed by the first code, then ten recovery codes
shown once), turn it off (with the password; refused while two-factor is
required for all staff) and get new recovery codes (with a current code).

The changes and their audit entries are :mod:`engine.accounts.two_factor`'s;
the views keep the key being enrolled in the session and rotate the session
when two-factor is turned on or off.
"""
from __future__ import annotations

from typing import Any

import segno
from quart import Blueprint, current_app, g, redirect

from engine.accounts import two_factor as two_factor_service
from engine.accounts.roles import AccountError, NotAllowed
from engine.accounts.staff import get_staff
from engine.admin.access import ANY_STAFF, staff_page
from engine.admin.common import form_fields, staff_session
from engine.admin.rendering import render_admin
from engine.web import sessions
from engine.web.audit import mark_audited, request_actor

blueprint = Blueprint("admin_two_factor", __name__)


def _qr(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


@blueprint.get("/admin/account/2fa")
@staff_page(ANY_STAFF)
async def two_factor():
    me = await get_staff(g.actor["id"])
    session = await staff_session()
    context: dict[str, Any] = {"me": me, "enabled": bool(me["totp_enabled_at"]),
                               "required": await two_factor_service.staff_2fa_required(current_app.settings),
                               "must_enrol": bool(session.get("must_enrol"))}
    if me["totp_enabled_at"]:
        context["codes_left"] = await two_factor_service.recovery_codes_left(me["id"])
    else:
        secret = session.get("totp_setup")
        if not isinstance(secret, str):
            secret = session["totp_setup"] = two_factor_service.new_totp_secret()
        uri = two_factor_service.provisioning_uri(secret, me["email"], current_app.settings.store.name)
        context.update(secret=secret, qr=_qr(uri), uri=uri)
    return await render_admin("admin/two_factor.html", **context)


@blueprint.post("/admin/account/2fa/enable")
@staff_page(ANY_STAFF)
async def two_factor_enable():
    session = await staff_session()
    secret = session.get("totp_setup")
    form = await form_fields()
    me = await get_staff(g.actor["id"])
    if me["totp_enabled_at"] or not isinstance(secret, str):
        return redirect("/admin/account/2fa", 303)
    codes = await two_factor_service.enable_totp(me["id"], secret, str(form.get("code", "")),
                                                 current_app.settings.secret_key, actor=request_actor())
    if codes is None:
        return await render_admin("admin/message.html", status=422, title="Two-factor not enabled",
                                  message="That code is wrong. Check the time on your device and try again.",
                                  link="/admin/account/2fa")
    mark_audited()
    session.pop("totp_setup", None)
    session.pop("must_enrol", None)
    session["mfa"] = True
    await sessions.rotate(session)
    return await render_admin("admin/recovery_codes.html", codes=codes)


@blueprint.post("/admin/account/2fa/disable")
@staff_page(ANY_STAFF)
async def two_factor_disable():
    form = await form_fields()
    try:
        await two_factor_service.disable_totp(current_app.runtime, g.actor["id"], str(form.get("password", "")),
                                              actor=request_actor())
    except NotAllowed as exc:
        return await render_admin("admin/message.html", status=403, title="Two-factor is required",
                                  message=str(exc), link="/admin/account/2fa")
    except AccountError as exc:
        return await render_admin("admin/message.html", status=422, title="Two-factor not turned off",
                                  message=str(exc), link="/admin/account/2fa")
    mark_audited()
    session = await staff_session()
    session["mfa"] = False
    await sessions.rotate(session)
    return redirect("/admin/account/2fa", 303)


@blueprint.post("/admin/account/2fa/recovery-codes")
@staff_page(ANY_STAFF)
async def two_factor_new_codes():
    form = await form_fields()
    try:
        codes = await two_factor_service.renew_recovery_codes(g.actor["id"], str(form.get("code", "")),
                                                              current_app.settings.secret_key, actor=request_actor())
    except AccountError as exc:
        return await render_admin("admin/message.html", status=422, title="No new codes", message=str(exc),
                                  link="/admin/account/2fa")
    mark_audited()
    return await render_admin("admin/recovery_codes.html", codes=codes)
