"""Staff accounts, roles and permissions, two-factor sign-in and admin API tokens.

Roles: the built-in ``owner`` (everything), ``manager`` and ``support``, plus
custom roles stored in ``staff_roles``. A staff member's permissions are
their role's; an API token's permissions are its scopes. Nobody can grant
what they do not hold (:func:`can_grant`), and only an owner makes owners.

Two-factor: TOTP (RFC 6238, 30-second steps, 6 digits; pyotp) with the key
stored encrypted under the shop's secret key. A code is accepted for the
current step and one step either side; the accepted step is written with a
conditional update (``totp_last_step < step``), so no code — nor an earlier
one — is accepted twice, even by two requests racing. Ten single-use
recovery codes (80 random bits each, stored as SHA-256) stand in for a lost
device. ``security.require_staff_2fa`` (or the owner's switch, kept in the
site settings) makes two-factor compulsory for every staff member.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import pyotp

from engine.accounts import passwords
from engine.accounts.passwords import hasher  # noqa: F401  (kept for callers of the old API)
from engine.accounts.tables import ApiToken, StaffRecoveryCode, StaffRole, StaffUser
from engine.db.sql import fetch
from engine.secrets import SecretBox
from engine.system import site_settings

#: Built-in roles and the permissions they grant. "all" grants everything.
ROLES: dict[str, set[str]] = {
    "owner": {"all"},
    "manager": {"catalog:read", "catalog:write", "orders:read", "orders:write", "customers:read",
                "customers:write", "staff:read", "audit:read"},
    "support": {"catalog:read", "orders:read", "customers:read"},
}
#: Scopes an API token may carry (a token's scopes are its permissions).
SCOPES = ["catalog:read", "catalog:write", "orders:read", "orders:write", "customers:read",
          "customers:write", "plugins:write", "staff:read", "staff:write", "audit:read", "security:write", "all"]
#: The permission of admin pages every signed-in staff member may use
#: (their own account, two-factor, sign-out, the dashboard).
SELF = "staff:self"
TOKEN_PREFIX = "swt_"
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
MAX_PASSWORD_LENGTH = passwords.MAX_LENGTH
TOTP_ISSUER_FALLBACK = "Shopwright"
RECOVERY_CODES = 10
REQUIRE_2FA_KEY = "security.require_staff_2fa"


class AccountError(ValueError):
    pass


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


# ------------------------------------------------------------------ roles
async def custom_roles() -> dict[str, dict]:
    rows = await StaffRole.select().order_by(StaffRole.name).run()
    return {row["name"]: {**row, "permissions": _split(row["permissions"])} for row in rows}


def _split(text: str) -> set[str]:
    return {part.strip() for part in (text or "").split(",") if part.strip()}


async def role_permissions(role: str) -> set[str] | None:
    """The permissions of ``role`` (None: no such role)."""
    if role in ROLES:
        return set(ROLES[role])
    row = await StaffRole.select(StaffRole.permissions).where(StaffRole.name == role).first().run()
    return _split(row["permissions"]) if row else None


def grants(held: Iterable[str], permission: str) -> bool:
    held = set(held)
    return "all" in held or permission in held


def can_grant(held: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether someone holding ``held`` may hand out ``wanted``."""
    held = set(held)
    return "all" in held or set(wanted) <= held


async def save_role(name: str, permissions: Iterable[str], title: str = "", known: Iterable[str] = ()) -> None:
    """Create or replace a custom role (built-in names are refused)."""
    name = (name or "").strip().lower()
    if not name or len(name) > 50 or not name.replace("_", "a").replace("-", "a").isalnum():
        raise AccountError("a role name is 1 to 50 letters, digits, - or _")
    if name in ROLES:
        raise AccountError(f"{name!r} is a built-in role and cannot be changed")
    perms = sorted({p.strip() for p in permissions if p and p.strip()})
    if not perms:
        raise AccountError("a role needs at least one permission")
    known = set(known) | set(SCOPES) | {SELF}
    unknown = [p for p in perms if p not in known]
    if unknown:
        raise AccountError(f"unknown permission {unknown[0]!r}")
    existing = await StaffRole.select(StaffRole.id).where(StaffRole.name == name).first().run()
    if existing:
        await StaffRole.update({StaffRole.permissions: ",".join(perms), StaffRole.title: title.strip()[:200]}).where(
            StaffRole.name == name).run()
    else:
        await StaffRole.insert(StaffRole(name=name, title=title.strip()[:200], permissions=",".join(perms),
                                         created_at=_now())).run()


async def delete_role(name: str) -> None:
    if name in ROLES:
        raise AccountError(f"{name!r} is a built-in role")
    if await StaffUser.exists().where(StaffUser.role == name).run():
        raise AccountError(f"role {name!r} is still given to staff members")
    await StaffRole.delete().where(StaffRole.name == name).run()


# ------------------------------------------------------------------ staff
async def create_staff(email: str, password: str, role: str) -> int:
    email = normalise_email(email)
    if await role_permissions(role) is None:
        known = list(ROLES) + list(await custom_roles())
        raise AccountError(f"unknown role {role!r} (known: {', '.join(known)})")
    check_password_rules(password, email)
    if await StaffUser.exists().where(StaffUser.email == email).run():
        raise AccountError(f"a staff account for {email} already exists")
    password_hash = await passwords.hash_password_async(password)
    rows = await StaffUser.insert(
        StaffUser(email=email, password_hash=password_hash, role=role, created_at=_now(), password_changed_at=_now())
    ).returning(StaffUser.id).run()
    return rows[0]["id"]


async def get_staff(staff_id: int) -> dict | None:
    return await StaffUser.select().where(StaffUser.id == staff_id).first().run()


async def list_staff() -> list[dict]:
    rows = await StaffUser.select(StaffUser.id, StaffUser.email, StaffUser.role, StaffUser.active,
                                  StaffUser.created_at, StaffUser.totp_enabled_at, StaffUser.last_login_at
                                  ).order_by(StaffUser.email).run()
    return rows


async def verify_staff_password(email: str, password: str) -> dict | None:
    """The staff row when ``password`` is right and the account is active."""
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


async def set_staff_password(staff_id: int, password: str) -> None:
    row = await get_staff(staff_id)
    if row is None:
        raise AccountError("no such staff member")
    check_password_rules(password, row["email"])
    await StaffUser.update({StaffUser.password_hash: await passwords.hash_password_async(password),
                            StaffUser.password_changed_at: _now()}).where(StaffUser.id == staff_id).run()


async def set_role(staff_id: int, role: str) -> None:
    if await role_permissions(role) is None:
        raise AccountError(f"unknown role {role!r}")
    await StaffUser.update({StaffUser.role: role}).where(StaffUser.id == staff_id).run()


async def set_active(staff_id: int, active: bool) -> None:
    await StaffUser.update({StaffUser.active: active}).where(StaffUser.id == staff_id).run()


async def owners_left(excluding: int) -> int:
    rows = await fetch("SELECT COUNT(*) AS n FROM staff_users WHERE role = 'owner' AND active = {} AND id <> {}",
                       True, excluding)
    return int(rows[0]["n"])


async def record_login(staff_id: int) -> None:
    await StaffUser.update({StaffUser.last_login_at: _now()}).where(StaffUser.id == staff_id).run()


# ------------------------------------------------------------------ two-factor
def _box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer or TOTP_ISSUER_FALLBACK)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (current ±1) whose code is ``code``, else None."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = totp.timecode(datetime.fromtimestamp(now, timezone.utc))
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def totp_secret_of(row: dict, secret_key: str) -> str | None:
    if not row.get("totp_secret") or row.get("totp_enabled_at") is None:
        return None
    return _box(secret_key).decrypt(row["totp_secret"])


async def verify_totp(staff_id: int, code: str, secret_key: str) -> bool:
    """Accept ``code`` once: its step must be later than the last accepted one."""
    row = await get_staff(staff_id)
    if row is None:
        return False
    secret = totp_secret_of(row, secret_key)
    if secret is None:
        return False
    step = matching_step(secret, code)
    if step is None:
        return False
    claimed = await fetch("UPDATE staff_users SET totp_last_step = {} WHERE id = {} AND totp_last_step < {} "
                          "RETURNING id", step, staff_id, step)
    return bool(claimed)


async def enable_totp(staff_id: int, secret: str, code: str, secret_key: str) -> list[str] | None:
    """Turn two-factor on with ``secret`` once ``code`` proves the device has
    it; returns fresh recovery codes (shown once), or None for a wrong code."""
    step = matching_step(secret, code)
    if step is None:
        return None
    await StaffUser.update({StaffUser.totp_secret: _box(secret_key).encrypt(secret),
                            StaffUser.totp_enabled_at: _now(), StaffUser.totp_last_step: step}).where(
        StaffUser.id == staff_id).run()
    return await new_recovery_codes(staff_id)


async def disable_totp(staff_id: int) -> None:
    await StaffUser.update({StaffUser.totp_secret: "", StaffUser.totp_enabled_at: None,
                            StaffUser.totp_last_step: 0}).where(StaffUser.id == staff_id).run()
    await StaffRecoveryCode.delete().where(StaffRecoveryCode.staff_id == staff_id).run()


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


async def new_recovery_codes(staff_id: int) -> list[str]:
    """Replace the staff member's recovery codes; returns the new ones."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    await StaffRecoveryCode.delete().where(StaffRecoveryCode.staff_id == staff_id).run()
    now = _now()
    await StaffRecoveryCode.insert(*[StaffRecoveryCode(staff_id=staff_id, code_hash=_code_digest(c), created_at=now)
                                     for c in codes]).run()
    return codes


async def use_recovery_code(staff_id: int, code: str) -> bool:
    """Spend one recovery code (single use, atomically)."""
    if not code or len(code) > 40:
        return False
    used = await fetch("UPDATE staff_recovery_codes SET used_at = {} WHERE staff_id = {} AND code_hash = {} "
                       "AND used_at IS NULL RETURNING id", _now(), staff_id, _code_digest(code))
    return bool(used)


async def recovery_codes_left(staff_id: int) -> int:
    rows = await fetch("SELECT COUNT(*) AS n FROM staff_recovery_codes WHERE staff_id = {} AND used_at IS NULL",
                       staff_id)
    return int(rows[0]["n"])


async def staff_2fa_required(settings) -> bool:
    """Whether every staff member must use two-factor (setting or owner's switch)."""
    if settings.security.require_staff_2fa:
        return True
    return bool(await site_settings.read(REQUIRE_2FA_KEY, False))


async def set_staff_2fa_required(required: bool) -> None:
    await site_settings.write(REQUIRE_2FA_KEY, bool(required))


# ------------------------------------------------------------------ API tokens
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str | Iterable[str]) -> list[str]:
    parts = text.split(",") if isinstance(text, str) else list(text)
    scopes = [s.strip() for s in parts if s and s.strip()]
    if not scopes:
        raise AccountError("at least one scope is required")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise AccountError(f"unknown scope {unknown[0]!r} (known: {', '.join(SCOPES)})")
    return sorted(set(scopes))


async def create_token(name: str, scopes: list[str], expires_days: int | None = None,
                       created_by: str = "") -> tuple[str, dict]:
    """Create an API token; returns the token (shown once, never stored) and its row."""
    if not name or not name.strip():
        raise AccountError("a token needs a name")
    if expires_days is not None and expires_days < 1:
        raise AccountError("a token expires after at least one day")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    row = dict(
        name=name.strip()[:200], prefix=token[: len(TOKEN_PREFIX) + 6], token_hash=_digest(token),
        scopes=",".join(scopes), created_at=now,
        expires_at=(now + timedelta(days=expires_days)) if expires_days else None, created_by=created_by[:320],
    )
    inserted = await ApiToken.insert(ApiToken(**row)).returning(ApiToken.id).run()
    row["id"] = inserted[0]["id"]
    return token, row


async def resolve_token(token: str) -> dict | None:
    """The token's row when it exists, is not revoked and not expired; else None."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = await ApiToken.select().where(ApiToken.token_hash == _digest(token)).first().run()
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= _now():
        return None
    last = row["last_used_at"]
    if last is None or (_now() - last).total_seconds() > 300:
        await ApiToken.update({ApiToken.last_used_at: _now()}).where(ApiToken.id == row["id"]).run()
    return row


def token_grants(row: dict, permission: str) -> bool:
    scopes = set(row["scopes"].split(","))
    return "all" in scopes or permission in scopes


def token_json(row: dict) -> dict[str, Any]:
    """A token as listings show it (never the hash)."""
    expires = row.get("expires_at")
    state = "revoked" if row.get("revoked_at") else "expired" if expires is not None and expires <= _now() else "active"
    return {
        "id": row["id"], "name": row["name"], "prefix": row["prefix"],
        "scopes": [s for s in (row.get("scopes") or "").split(",") if s], "state": state,
        "created_by": row.get("created_by") or "",
        "created_at": _iso(row.get("created_at")), "expires_at": _iso(expires),
        "revoked_at": _iso(row.get("revoked_at")), "last_used_at": _iso(row.get("last_used_at")),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


async def list_tokens() -> list[dict]:
    rows = await ApiToken.select().order_by(ApiToken.id, ascending=False).run()
    return [token_json(row) for row in rows]


async def get_token(token_id: int) -> dict | None:
    return await ApiToken.select().where(ApiToken.id == token_id).first().run()


async def find_token(id_or_prefix: str) -> dict | None:
    """A token by id or by its listed prefix (``swt_abcdef``)."""
    if id_or_prefix.isdigit():
        return await get_token(int(id_or_prefix))
    rows = await ApiToken.select().where(ApiToken.prefix == id_or_prefix).run()
    if len(rows) > 1:
        raise AccountError(f"several tokens start with {id_or_prefix!r}: use the id")
    return rows[0] if rows else None


async def revoke_token(token_id: int) -> bool:
    """Revoke a token now; False when it was already revoked (or missing)."""
    rows = await fetch("UPDATE api_tokens SET revoked_at = {} WHERE id = {} AND revoked_at IS NULL RETURNING id",
                       _now(), token_id)
    return bool(rows)
