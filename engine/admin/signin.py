"""Staff sign-in pages: ``/admin/login`` (e-mail and password),
``/admin/login/2fa`` (the TOTP or recovery code, when the member has
two-factor) — the two public admin routes — and ``/admin/logout``.

The checks, throttling and audit entries are
:mod:`engine.accounts.staff_signin`'s; these views translate the forms,
answer 401 (wrong) or 429 with ``Retry-After`` (throttled), and keep the
session: its id is rotated after each step, the password step leaves a
pending sign-in for :data:`PENDING_SECONDS`, and a member who must still set
up two-factor is sent to ``/admin/account/2fa``.
"""
from __future__ import annotations

import time

from quart import Blueprint, current_app, redirect, request

from engine.accounts import staff as staff_service
from engine.accounts import staff_signin
from engine.admin.access import ANY_STAFF, staff_page
from engine.admin.common import form_fields, staff_session
from engine.admin.rendering import render_admin
from engine.web import client, redirects, sessions
from engine.web.audit import mark_audited, request_actor
from engine.web.guard import current_actor

blueprint = Blueprint("admin_signin", __name__)

#: Seconds the second step may follow the password.
PENDING_SECONDS = 300


def safe_next(value: object) -> str:
    """An admin path to go to after signing in, never another site
    (:func:`engine.web.redirects.local_path` under ``/admin``; else ``/admin``)."""
    return redirects.local_path(value, "/admin", within="/admin")


def _client() -> dict[str, str]:
    return {"ip": client.client_ip(), "user_agent": client.user_agent()}


async def _throttled(template: str, exc: staff_signin.Throttled, **context):
    response = await render_admin(template, status=429, error=exc.message(), **context)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@blueprint.get("/admin/login")
async def login():
    actor = await current_actor()
    if actor is not None and actor.get("kind") == "staff":  # a bearer token is not a staff session
        return redirect("/admin", 303)
    return await render_admin("admin/login.html", next=safe_next(request.args.get("next")))


@blueprint.post("/admin/login")
async def login_submit():
    form = await form_fields()
    email = str(form.get("email", "")).strip().lower()[:320]
    next_url = safe_next(form.get("next"))
    try:
        row = await staff_signin.check_password(current_app.runtime, email, str(form.get("password", "")),
                                                **_client())
    except staff_signin.Throttled as exc:
        return await _throttled("admin/login.html", exc, email=email, next=next_url)
    except staff_signin.SignInFailed:
        return await render_admin("admin/login.html", status=401, error="The e-mail address or the password is "
                                  "wrong.", email=email, next=next_url)
    session = await staff_session()
    session.clear()
    if staff_signin.needs_second_factor(current_app.runtime, row):
        session["pending_staff_id"] = row["id"]
        session["pending_at"] = time.time()
        session["next"] = next_url
        await sessions.rotate(session)
        return redirect("/admin/login/2fa", 303)
    return await _complete_sign_in(row, two_factor=False, next_url=next_url)


async def _complete_sign_in(row: dict, two_factor: bool, next_url: str, method: str = "password"):
    must_enrol = await staff_signin.signed_in(current_app.runtime, row, two_factor_used=two_factor, method=method,
                                              **_client())
    session = await staff_session()
    session.clear()
    session["staff_id"] = row["id"]
    session["mfa"] = two_factor
    if must_enrol:
        session["must_enrol"] = True
    await sessions.rotate(session)
    return redirect("/admin/account/2fa" if must_enrol else next_url, 303)


async def _pending() -> dict | None:
    """The active staff member whose password was checked in this session
    within :data:`PENDING_SECONDS`, else None."""
    session = await staff_session()
    staff_id = session.get("pending_staff_id")
    if not isinstance(staff_id, int) or time.time() - float(session.get("pending_at", 0)) > PENDING_SECONDS:
        return None
    row = await staff_service.get_staff(staff_id)
    return row if row and row["active"] else None


@blueprint.get("/admin/login/2fa")
async def login_2fa():
    if await _pending() is None:
        return redirect("/admin/login", 303)
    return await render_admin("admin/login_2fa.html")


@blueprint.post("/admin/login/2fa")
async def login_2fa_submit():
    row = await _pending()
    if row is None:
        return redirect("/admin/login", 303)
    form = await form_fields()
    try:
        method = await staff_signin.check_second_factor(current_app.runtime, row, str(form.get("code", "")),
                                                        **_client())
    except staff_signin.Throttled as exc:
        return await _throttled("admin/login_2fa.html", exc)
    except staff_signin.SignInFailed:
        return await render_admin("admin/login_2fa.html", status=401,
                                  error="That code is wrong or was used already. Wait for the next code.")
    session = await staff_session()
    return await _complete_sign_in(row, two_factor=True, next_url=safe_next(session.get("next")), method=method)


@blueprint.post("/admin/logout")
@staff_page(ANY_STAFF)
async def logout():
    await staff_signin.signed_out(request_actor())
    mark_audited()
    await sessions.end(await staff_session())
    return redirect("/admin/login", 303)
