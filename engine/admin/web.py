"""Admin HTML pages: staff sign-in with two-factor, the staff member's own
account, staff and roles, API tokens, the audit log and security policy.

Every page declares its permission (:func:`engine.admin.access.staff_page`);
``/admin/login`` and ``/admin/login/2fa`` are the public exceptions. Every
form carries the staff session's CSRF token.

Sign-in: e-mail and password (throttled per account and IP address), then —
when the staff member has two-factor — a TOTP code or a recovery code
(throttled per staff member). The session id is rotated after each step and
whenever privileges change. When two-factor is required (setting or the
owner's switch) a staff member without it can only enrol until they have.
"""
from __future__ import annotations

import time
from typing import Any

import segno
import structlog
from quart import Blueprint, current_app, g, redirect, request

from engine.accounts import staff as staff_service
from engine.web.guard import current_actor
from engine import audit as audit_trail
from engine.web import audit
from engine.admin.access import ANY_STAFF, staff_page
from engine.accounts.permissions import all_permissions
from engine.admin.rendering import render_admin
from engine.web import client, sessions
from engine.security import throttle

log = structlog.get_logger("shopwright.admin")

blueprint = Blueprint("admin_web", __name__)

PENDING_SECONDS = 300


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/admin") or value.startswith("//") or "\\" in value or len(value) > 300:
        return "/admin"
    return value


async def _form() -> dict[str, Any]:
    form = await request.form
    return {key: form.get(key, "") for key in form}


async def _staff_session() -> sessions.ServerSession:
    return await sessions.staff_session()


def _as_actor(row: dict) -> dict:
    return {"kind": "staff", "id": row["id"], "email": row["email"]}


# ------------------------------------------------------------------ sign-in
@blueprint.get("/admin/login")
async def login():
    if await current_actor():
        return redirect("/admin", 303)
    return await render_admin("admin/login.html", next=_safe_next(request.args.get("next")))


@blueprint.post("/admin/login")
async def login_submit():
    form = await _form()
    email = str(form.get("email", "")).strip().lower()[:320]
    next_url = _safe_next(form.get("next"))
    keys = (throttle.account_key("staff", email), throttle.ip_key(client.client_ip()))
    try:
        await throttle.check(*keys)
    except throttle.Throttled as exc:
        await audit.record("staff.login_throttled", email, {"retry_after": exc.retry_after}, actor={},
                           actor_name=email)
        response = await render_admin("admin/login.html", status=429, error=exc.message(), email=email,
                                      next=next_url)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    row = await staff_service.verify_staff_password(email, str(form.get("password", "")))
    if row is None:
        counts = await throttle.failure(*keys)
        log.warning("auth.login_failed", realm="staff", account=email, ip=client.client_ip(),
                    failures=counts.get(keys[0]))
        await audit.record("staff.login_failed", email, {"failures": counts.get(keys[0])}, actor={},
                           actor_name=email)
        return await render_admin("admin/login.html", status=401, error="The e-mail address or the password is "
                                  "wrong.", email=email, next=next_url)
    await throttle.success(keys[0])
    session = await _staff_session()
    session.clear()
    if staff_service.totp_secret_of(row, current_app.settings.secret_key):
        session["pending_staff_id"] = row["id"]
        session["pending_at"] = time.time()
        session["next"] = next_url
        await sessions.rotate(session)
        return redirect("/admin/login/2fa", 303)
    return await _complete_sign_in(row, mfa=False, next_url=next_url)


async def _complete_sign_in(row: dict, mfa: bool, next_url: str, method: str = "password"):
    session = await _staff_session()
    required = await staff_service.staff_2fa_required(current_app.settings)
    session.clear()
    session["staff_id"] = row["id"]
    session["mfa"] = mfa
    if required and not mfa:
        session["must_enrol"] = True
    await sessions.rotate(session)
    await staff_service.record_login(row["id"])
    await audit.record("staff.login", row["email"], {"two_factor": mfa, "method": method}, actor=_as_actor(row))
    if session.get("must_enrol"):
        return redirect("/admin/account/2fa", 303)
    return redirect(next_url, 303)


async def _pending() -> dict | None:
    session = await _staff_session()
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
    form = await _form()
    code = str(form.get("code", "")).strip()
    keys = (f"totp:{row['id']}", throttle.ip_key(client.client_ip()))
    try:
        await throttle.check(*keys)
    except throttle.Throttled as exc:
        response = await render_admin("admin/login_2fa.html", status=429, error=exc.message())
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    method = "totp"
    ok = await staff_service.verify_totp(row["id"], code, current_app.settings.secret_key)
    if not ok and len(code.replace("-", "")) == 16:
        ok = await staff_service.use_recovery_code(row["id"], code)
        method = "recovery code"
    if not ok:
        counts = await throttle.failure(*keys)
        await audit.record("staff.2fa_failed", row["email"], {"failures": counts.get(keys[0])},
                           actor=_as_actor(row))
        return await render_admin("admin/login_2fa.html", status=401,
                                  error="That code is wrong or was used already. Wait for the next code.")
    await throttle.success(keys[0])
    session = await _staff_session()
    next_url = _safe_next(session.get("next"))
    if method == "recovery code":
        await audit.record("staff.recovery_code_used", row["email"],
                           {"left": await staff_service.recovery_codes_left(row["id"])}, actor=_as_actor(row))
    return await _complete_sign_in(row, mfa=True, next_url=next_url, method=method)


@blueprint.post("/admin/logout")
@staff_page(ANY_STAFF)
async def logout():
    await audit.record("staff.logout", g.actor.get("email", ""))
    await sessions.end(await _staff_session())
    return redirect("/admin/login", 303)


# ------------------------------------------------------------------ dashboard & own account
@blueprint.get("/admin")
@staff_page(ANY_STAFF)
async def dashboard():
    row = await staff_service.get_staff(g.actor["id"])
    return await render_admin("admin/dashboard.html", me=row, two_factor=bool(row["totp_enabled_at"]))


@blueprint.get("/admin/account")
@staff_page(ANY_STAFF)
async def account():
    session = await _staff_session()
    records = await sessions.user_sessions("staff", g.actor["id"])
    listed = [{"current": r.sid_hash == session.stored_hash, "ip": r.ip, "user_agent": r.user_agent,
               "last_seen": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r.last_seen_at))} for r in records]
    return await render_admin("admin/account.html", sessions=listed, me=await staff_service.get_staff(g.actor["id"]))


@blueprint.post("/admin/account/password")
@staff_page(ANY_STAFF)
async def account_password():
    form = await _form()
    me = await staff_service.verify_staff_password(g.actor["email"], str(form.get("current_password", "")))
    if me is None:
        return await render_admin("admin/message.html", status=422, title="Password not changed",
                                  message="The current password is wrong.", link="/admin/account")
    try:
        await staff_service.set_staff_password(me["id"], str(form.get("new_password", "")))
    except staff_service.AccountError as exc:
        return await render_admin("admin/message.html", status=422, title="Password not changed", message=str(exc),
                                  link="/admin/account")
    await sessions.end_user_sessions("staff", me["id"])
    await sessions.rotate(await _staff_session())
    await audit.record("staff.password_changed", me["email"])
    return await render_admin("admin/message.html", title="Password changed",
                              message="Your password is changed; your other sessions were signed out.",
                              link="/admin/account")


@blueprint.post("/admin/account/sessions/end-others")
@staff_page(ANY_STAFF)
async def account_end_others():
    session = await _staff_session()
    ended = await sessions.end_other_sessions(session)
    await sessions.rotate(session)
    await audit.record("staff.sessions_ended", g.actor["email"], {"sessions": ended})
    return await render_admin("admin/message.html", title="Signed out everywhere else",
                              message=f"{ended} other session(s) were signed out.", link="/admin/account")


# ------------------------------------------------------------------ two-factor
def _qr(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


@blueprint.get("/admin/account/2fa")
@staff_page(ANY_STAFF)
async def two_factor():
    me = await staff_service.get_staff(g.actor["id"])
    session = await _staff_session()
    context: dict[str, Any] = {"me": me, "enabled": bool(me["totp_enabled_at"]),
                               "required": await staff_service.staff_2fa_required(current_app.settings),
                               "must_enrol": bool(session.get("must_enrol"))}
    if me["totp_enabled_at"]:
        context["codes_left"] = await staff_service.recovery_codes_left(me["id"])
    else:
        secret = session.get("totp_setup")
        if not isinstance(secret, str):
            secret = session["totp_setup"] = staff_service.new_totp_secret()
        uri = staff_service.provisioning_uri(secret, me["email"], current_app.settings.store.name)
        context.update(secret=secret, qr=_qr(uri), uri=uri)
    return await render_admin("admin/two_factor.html", **context)


@blueprint.post("/admin/account/2fa/enable")
@staff_page(ANY_STAFF)
async def two_factor_enable():
    session = await _staff_session()
    secret = session.get("totp_setup")
    form = await _form()
    me = await staff_service.get_staff(g.actor["id"])
    if me["totp_enabled_at"]:
        return redirect("/admin/account/2fa", 303)
    if not isinstance(secret, str):
        return redirect("/admin/account/2fa", 303)
    codes = await staff_service.enable_totp(me["id"], secret, str(form.get("code", "")),
                                            current_app.settings.secret_key)
    if codes is None:
        return await render_admin("admin/message.html", status=422, title="Two-factor not enabled",
                                  message="That code is wrong. Check the time on your device and try again.",
                                  link="/admin/account/2fa")
    session.pop("totp_setup", None)
    session.pop("must_enrol", None)
    session["mfa"] = True
    await sessions.rotate(session)
    await audit.record("staff.2fa_enabled", me["email"])
    return await render_admin("admin/recovery_codes.html", codes=codes)


@blueprint.post("/admin/account/2fa/disable")
@staff_page(ANY_STAFF)
async def two_factor_disable():
    form = await _form()
    if await staff_service.staff_2fa_required(current_app.settings):
        return await render_admin("admin/message.html", status=403, title="Two-factor is required",
                                  message="Two-factor sign-in is required for all staff: it cannot be turned off.",
                                  link="/admin/account/2fa")
    me = await staff_service.verify_staff_password(g.actor["email"], str(form.get("password", "")))
    if me is None:
        return await render_admin("admin/message.html", status=422, title="Two-factor not turned off",
                                  message="The password is wrong.", link="/admin/account/2fa")
    await staff_service.disable_totp(me["id"])
    session = await _staff_session()
    session["mfa"] = False
    await sessions.rotate(session)
    await audit.record("staff.2fa_disabled", me["email"])
    return redirect("/admin/account/2fa", 303)


@blueprint.post("/admin/account/2fa/recovery-codes")
@staff_page(ANY_STAFF)
async def two_factor_new_codes():
    form = await _form()
    if not await staff_service.verify_totp(g.actor["id"], str(form.get("code", "")), current_app.settings.secret_key):
        return await render_admin("admin/message.html", status=422, title="No new codes",
                                  message="That code is wrong or was used already.", link="/admin/account/2fa")
    codes = await staff_service.new_recovery_codes(g.actor["id"])
    await audit.record("staff.recovery_codes_renewed", g.actor["email"])
    return await render_admin("admin/recovery_codes.html", codes=codes)


# ------------------------------------------------------------------ staff & roles
async def _roles() -> dict[str, set[str]]:
    roles = {name: set(perms) for name, perms in staff_service.ROLES.items()}
    for name, row in (await staff_service.custom_roles()).items():
        roles[name] = row["permissions"]
    return roles


async def _refuse(message: str, link: str, status: int = 403):
    return await render_admin("admin/message.html", status=status, title="Not done", message=message, link=link)


def _may_grant(perms: set[str]) -> bool:
    return staff_service.can_grant(g.actor["permissions"], perms)


@blueprint.get("/admin/staff")
@staff_page("staff:read")
async def staff_list():
    return await render_admin("admin/staff.html", members=await staff_service.list_staff(), roles=await _roles(),
                              can_write=staff_service.grants(g.actor["permissions"], "staff:write"))


@blueprint.post("/admin/staff")
@staff_page("staff:write")
async def staff_create():
    form = await _form()
    role = str(form.get("role", "support"))
    perms = await staff_service.role_permissions(role)
    if perms is None:
        return await _refuse(f"There is no role {role!r}.", "/admin/staff", 422)
    if not _may_grant(perms):
        return await _refuse("You cannot give a role with permissions you do not hold.", "/admin/staff")
    try:
        staff_id = await staff_service.create_staff(str(form.get("email", "")), str(form.get("password", "")), role)
    except staff_service.AccountError as exc:
        return await _refuse(str(exc), "/admin/staff", 422)
    await audit.record("staff.create", f"staff:{staff_id}", {"email": str(form.get("email", "")).lower(), "role": role})
    return redirect("/admin/staff", 303)


async def _target(staff_id: int) -> tuple[dict | None, str | None]:
    row = await staff_service.get_staff(staff_id)
    if row is None:
        return None, "There is no such staff member."
    perms = await staff_service.role_permissions(row["role"]) or set()
    if not _may_grant(perms):
        return None, "You cannot change a staff member who holds permissions you do not."
    return row, None


@blueprint.post("/admin/staff/<int:staff_id>/role")
@staff_page("staff:write")
async def staff_role(staff_id: int):
    form = await _form()
    row, problem = await _target(staff_id)
    if row is None:
        return await _refuse(problem, "/admin/staff")
    role = str(form.get("role", ""))
    perms = await staff_service.role_permissions(role)
    if perms is None or not _may_grant(perms):
        return await _refuse("You cannot give this role.", "/admin/staff")
    if row["role"] == "owner" and role != "owner" and await staff_service.owners_left(staff_id) == 0:
        return await _refuse("The shop must keep at least one active owner.", "/admin/staff", 409)
    await staff_service.set_role(staff_id, role)
    ended = await sessions.end_user_sessions("staff", staff_id,
                                             keep=await _staff_session() if staff_id == g.actor["id"] else None)
    if staff_id == g.actor["id"]:
        await sessions.rotate(await _staff_session())
    await audit.record("staff.role", f"staff:{staff_id}", {"email": row["email"], "from": row["role"], "to": role,
                                                           "sessions_ended": ended})
    return redirect("/admin/staff", 303)


@blueprint.post("/admin/staff/<int:staff_id>/active")
@staff_page("staff:write")
async def staff_active(staff_id: int):
    form = await _form()
    row, problem = await _target(staff_id)
    if row is None:
        return await _refuse(problem, "/admin/staff")
    active = str(form.get("active", "")) in ("1", "true", "on", "yes")
    if not active:
        if staff_id == g.actor["id"]:
            return await _refuse("You cannot deactivate yourself.", "/admin/staff", 409)
        if row["role"] == "owner" and await staff_service.owners_left(staff_id) == 0:
            return await _refuse("The shop must keep at least one active owner.", "/admin/staff", 409)
    await staff_service.set_active(staff_id, active)
    ended = 0 if active else await sessions.end_user_sessions("staff", staff_id)
    await audit.record("staff.activate" if active else "staff.deactivate", f"staff:{staff_id}",
                       {"email": row["email"], "sessions_ended": ended})
    return redirect("/admin/staff", 303)


@blueprint.post("/admin/staff/<int:staff_id>/reset-2fa")
@staff_page("staff:write")
async def staff_reset_2fa(staff_id: int):
    row, problem = await _target(staff_id)
    if row is None:
        return await _refuse(problem, "/admin/staff")
    await staff_service.disable_totp(staff_id)
    ended = await sessions.end_user_sessions("staff", staff_id)
    await audit.record("staff.2fa_reset", f"staff:{staff_id}", {"email": row["email"], "sessions_ended": ended})
    return redirect("/admin/staff", 303)


@blueprint.get("/admin/roles")
@staff_page("staff:read")
async def roles():
    known = await all_permissions(current_app.runtime)
    return await render_admin("admin/roles.html", roles=await _roles(), builtin=set(staff_service.ROLES),
                              permissions=sorted(known.values(), key=lambda p: p.code),
                              can_write=staff_service.grants(g.actor["permissions"], "staff:write"))


@blueprint.post("/admin/roles")
@staff_page("staff:write")
async def role_save():
    form = await request.form
    perms = set(form.getlist("permissions"))
    if not _may_grant(perms):
        return await _refuse("You cannot make a role with permissions you do not hold.", "/admin/roles")
    known = await all_permissions(current_app.runtime)
    try:
        await staff_service.save_role(form.get("name", ""), perms, form.get("title", ""), known=known)
    except staff_service.AccountError as exc:
        return await _refuse(str(exc), "/admin/roles", 422)
    await audit.record("role.save", f"role:{form.get('name', '').strip().lower()}", {"permissions": sorted(perms)})
    return redirect("/admin/roles", 303)


@blueprint.post("/admin/roles/<name>/delete")
@staff_page("staff:write")
async def role_delete(name: str):
    perms = await staff_service.role_permissions(name)
    if perms is not None and not _may_grant(perms):
        return await _refuse("You cannot delete a role with permissions you do not hold.", "/admin/roles")
    try:
        await staff_service.delete_role(name)
    except staff_service.AccountError as exc:
        return await _refuse(str(exc), "/admin/roles", 409)
    await audit.record("role.delete", f"role:{name}")
    return redirect("/admin/roles", 303)


# ------------------------------------------------------------------ API tokens
@blueprint.get("/admin/tokens")
@staff_page("staff:read")
async def tokens():
    return await render_admin("admin/tokens.html", tokens=await staff_service.list_tokens(),
                              scopes=staff_service.SCOPES,
                              can_write=staff_service.grants(g.actor["permissions"], "staff:write"))


@blueprint.post("/admin/tokens")
@staff_page("staff:write")
async def token_create():
    form = await request.form
    try:
        scopes = staff_service.parse_scopes(form.getlist("scopes"))
        days = int(form.get("expires_days") or 0) or None
    except (staff_service.AccountError, ValueError) as exc:
        return await _refuse(str(exc), "/admin/tokens", 422)
    if not _may_grant(set(scopes)):
        return await _refuse("You cannot give a token scopes you do not hold.", "/admin/tokens")
    try:
        token, row = await staff_service.create_token(form.get("name", ""), scopes, days,
                                                      created_by=g.actor["email"])
    except staff_service.AccountError as exc:
        return await _refuse(str(exc), "/admin/tokens", 422)
    await audit.record("token.create", f"token:{row['id']}", {"name": row["name"], "scopes": scopes,
                                                              "expires_days": days})
    return await render_admin("admin/tokens.html", tokens=await staff_service.list_tokens(),
                              scopes=staff_service.SCOPES, can_write=True, new_token=token, new_name=row["name"])


@blueprint.post("/admin/tokens/<int:token_id>/revoke")
@staff_page("staff:write")
async def token_revoke(token_id: int):
    row = await staff_service.get_token(token_id)
    if row is None:
        return await _refuse("There is no such token.", "/admin/tokens", 404)
    if await staff_service.revoke_token(token_id):
        await audit.record("token.revoke", f"token:{token_id}", {"name": row["name"]})
    return redirect("/admin/tokens", 303)


# ------------------------------------------------------------------ audit & security policy
@blueprint.get("/admin/audit")
@staff_page("audit:read")
async def audit_log():
    before = request.args.get("before", type=int)
    action = request.args.get("action") or None
    rows = await audit_trail.entries(100, before, action)
    older = rows[-1]["id"] if len(rows) == 100 else None
    return await render_admin("admin/audit.html", entries=rows, older=older, action=action or "")


@blueprint.get("/admin/security")
@staff_page("security:write")
async def security():
    return await render_admin("admin/security.html",
                              required=await staff_service.staff_2fa_required(current_app.settings),
                              forced_by_settings=current_app.settings.security.require_staff_2fa)


@blueprint.post("/admin/security")
@staff_page("security:write")
async def security_submit():
    form = await _form()
    required = str(form.get("require_staff_2fa", "")) in ("1", "on", "true", "yes")
    await staff_service.set_staff_2fa_required(required)
    await audit.record("security.require_staff_2fa", "", {"required": required})
    return redirect("/admin/security", 303)
