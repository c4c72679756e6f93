"""Staff accounts: creating them, their passwords, roles and active state,
and their sessions.

Each change is recorded in the audit log by the function that makes it, with
the ``actor`` it is given (see :mod:`engine.accounts.roles` for the actor,
the granting rule and the errors): ``staff.create``, ``staff.password_changed``,
``staff.role``, ``staff.activate``/``staff.deactivate``,
``staff.sessions_ended``. A change that takes privileges away ends the
member's sessions in the runtime's session store (``runtime.session_store``):
a role change, deactivation, a password change.

This module is also the staff API in one namespace: roles
(:mod:`engine.accounts.roles`), two-factor (:mod:`engine.accounts.two_factor`)
and API tokens (:mod:`engine.accounts.api_tokens`) are importable from here.
"""
from __future__ import annotations

from datetime import datetime, timezone

from engine.accounts import passwords
from engine.accounts.passwords import hasher  # noqa: F401  (kept for callers of the old API)
from engine.accounts.roles import (  # noqa: F401  (the staff API in one namespace)
    ROLES, SCOPES, SELF, AccountError, Conflict, NotAllowed, NotFound, all_roles, can_grant, custom_roles,
    delete_role, ensure_may_grant, grants, held_permissions, is_self, member_to_change, record_change,
    role_permissions, save_role,
)
from engine.accounts.two_factor import (  # noqa: F401
    RECOVERY_CODES, REQUIRE_2FA_KEY, TOTP_ISSUER_FALLBACK, disable_totp, enable_totp, matching_step,
    new_totp_secret, provisioning_uri, recovery_codes_left, renew_recovery_codes, reset_two_factor,
    set_staff_2fa_required, staff_2fa_required, totp_secret_of, use_recovery_code, verify_totp,
)
from engine.accounts.api_tokens import (  # noqa: F401
    TOKEN_PREFIX, create_token, find_token, get_token, list_tokens, parse_scopes, resolve_token, revoke_token,
    token_grants, token_json,
)
from engine.accounts.tables import StaffUser
from engine.db.sql import fetch
from engine.security.sessions import STAFF, end_user_sessions, ensure_reachable

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
MAX_PASSWORD_LENGTH = passwords.MAX_LENGTH


def _now() -> datetime:
    return datetime.now(timezone.utc)


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@") or " " in email:
        raise AccountError(f"not an e-mail address: {email!r}")
    return email


def check_password_rules(password: str, email: str = "") -> None:
    try:
        passwords.check_policy(password, email)
    except passwords.PasswordRejected as exc:
        raise AccountError(f"password rejected: {exc}") from None


# ------------------------------------------------------------------ reading
async def get_staff(staff_id: int) -> dict | None:
    return await StaffUser.select().where(StaffUser.id == staff_id).first().run()


async def list_staff() -> list[dict]:
    rows = await StaffUser.select(StaffUser.id, StaffUser.email, StaffUser.role, StaffUser.active,
                                  StaffUser.created_at, StaffUser.totp_enabled_at, StaffUser.last_login_at
                                  ).order_by(StaffUser.email).run()
    return rows


async def owners_left(excluding: int) -> int:
    """Active owners other than ``excluding``."""
    rows = await fetch("SELECT COUNT(*) AS n FROM staff_users WHERE role = 'owner' AND active = {} AND id <> {}",
                       True, excluding)
    return int(rows[0]["n"])


# ------------------------------------------------------------------ passwords
async def verify_staff_password(email: str, password: str) -> dict | None:
    """The staff row when ``password`` is right and the account is active
    (the same cost whether or not the account exists)."""
    try:
        email = normalise_email(email)
    except AccountError:
        await passwords.verify_async(None, password)
        return None
    row = await StaffUser.select().where(StaffUser.email == email).first().run()
    if row is None or not row["active"]:
        await passwords.verify_async(None, password)  # same cost whether or not the account exists
        return None
    if not await passwords.verify_async(row["password_hash"], password):
        return None
    if passwords.needs_rehash(row["password_hash"]):
        await StaffUser.update({StaffUser.password_hash: await passwords.hash_password_async(password)}).where(
            StaffUser.id == row["id"]).run()
    return row


async def change_password(runtime, staff_id: int, current_password: str, new_password: str, *,
                          actor: dict | None = None) -> int:
    """The staff member changes their own password, proving it with the
    current one (:class:`AccountError` when wrong, or when the new one breaks
    the password rules). Every session of the member ends (the caller starts
    a fresh one for the current request); returns how many ended. Recorded as
    ``staff.password_changed``."""
    row = await get_staff(staff_id)
    me = await verify_staff_password(row["email"], current_password) if row else None
    if me is None:
        raise AccountError("The current password is wrong.")
    check_password_rules(new_password, me["email"])
    await ensure_reachable(runtime.session_store)
    await StaffUser.update({StaffUser.password_hash: await passwords.hash_password_async(new_password),
                            StaffUser.password_changed_at: _now()}).where(StaffUser.id == staff_id).run()
    ended = await end_user_sessions(runtime.session_store, STAFF, staff_id)
    await record_change(actor, "staff.password_changed", me["email"])
    return ended


# ------------------------------------------------------------------ staff members
async def create_staff(email: str, password: str, role: str, *, actor: dict | None = None) -> int:
    """Create an active staff account with ``role`` (whose permissions
    ``actor`` must hold, else :class:`NotAllowed`); returns its id. Recorded
    as ``staff.create`` with the e-mail address and role."""
    perms = await role_permissions(role)
    if perms is None:
        known = list(ROLES) + list(await custom_roles())
        raise AccountError(f"unknown role {role!r} (known: {', '.join(known)})")
    ensure_may_grant(actor, perms, "You cannot give a role with permissions you do not hold.")
    email = normalise_email(email)
    check_password_rules(password, email)
    if await StaffUser.exists().where(StaffUser.email == email).run():
        raise AccountError(f"a staff account for {email} already exists")
    password_hash = await passwords.hash_password_async(password)
    rows = await StaffUser.insert(
        StaffUser(email=email, password_hash=password_hash, role=role, created_at=_now(), password_changed_at=_now())
    ).returning(StaffUser.id).run()
    staff_id = rows[0]["id"]
    await record_change(actor, "staff.create", f"staff:{staff_id}", {"email": email, "role": role})
    return staff_id


async def set_role(runtime, staff_id: int, role: str, *, actor: dict | None = None,
                   keep_digest: str | None = None) -> int:
    """Give the staff member ``role`` and end their sessions but
    ``keep_digest``'s (the actor's own, when they change their own role);
    returns how many ended. :class:`NotAllowed` when the member or the role
    holds permissions ``actor`` does not (or there is no such member or
    role); :class:`Conflict` when it would leave the shop without an active
    owner. Recorded as ``staff.role`` (from, to, sessions ended)."""
    row = await member_to_change(actor, staff_id)
    perms = await role_permissions(role)
    if perms is None:
        raise NotAllowed("You cannot give this role.")
    ensure_may_grant(actor, perms, "You cannot give this role.")
    if row["role"] == "owner" and role != "owner" and await owners_left(staff_id) == 0:
        raise Conflict("The shop must keep at least one active owner.")
    await ensure_reachable(runtime.session_store)
    await StaffUser.update({StaffUser.role: role}).where(StaffUser.id == staff_id).run()
    ended = await end_user_sessions(runtime.session_store, STAFF, staff_id, keep_digest)
    await record_change(actor, "staff.role", f"staff:{staff_id}", {"email": row["email"], "from": row["role"],
                                                                    "to": role, "sessions_ended": ended})
    return ended


async def set_active(runtime, staff_id: int, active: bool, *, actor: dict | None = None) -> int:
    """Activate or deactivate the staff member; deactivating ends their
    sessions (returns how many ended). :class:`NotAllowed` as for
    :func:`set_role`; :class:`Conflict` for deactivating oneself or the last
    active owner. Recorded as ``staff.activate`` or ``staff.deactivate``."""
    row = await member_to_change(actor, staff_id)
    if not active:
        if is_self(actor, staff_id):
            raise Conflict("You cannot deactivate yourself.")
        if row["role"] == "owner" and await owners_left(staff_id) == 0:
            raise Conflict("The shop must keep at least one active owner.")
        await ensure_reachable(runtime.session_store)
    await StaffUser.update({StaffUser.active: active}).where(StaffUser.id == staff_id).run()
    ended = 0 if active else await end_user_sessions(runtime.session_store, STAFF, staff_id)
    await record_change(actor, "staff.activate" if active else "staff.deactivate", f"staff:{staff_id}",
                        {"email": row["email"], "sessions_ended": ended})
    return ended


async def end_other_sessions(runtime, staff_id: int, keep_digest: str | None, *, actor: dict | None = None) -> int:
    """Sign the staff member out everywhere else: end every session of theirs
    but ``keep_digest``'s; returns how many ended. Recorded as
    ``staff.sessions_ended``."""
    ended = await end_user_sessions(runtime.session_store, STAFF, staff_id, keep_digest)
    row = await get_staff(staff_id)
    await record_change(actor, "staff.sessions_ended", row["email"] if row else f"staff:{staff_id}",
                        {"sessions": ended})
    return ended


async def record_login(staff_id: int) -> None:
    await StaffUser.update({StaffUser.last_login_at: _now()}).where(StaffUser.id == staff_id).run()
