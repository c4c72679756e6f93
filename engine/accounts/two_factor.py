"""Staff two-factor sign-in (TOTP) and recovery codes, and the policy that
makes it compulsory.

TOTP: RFC 6238, 30-second steps, 6 digits (pyotp), the key stored encrypted
under the shop's secret key. A code is accepted for the current step and one
step either side; the accepted step is written with a conditional update
(``totp_last_step < step``), so no code — nor an earlier one — is accepted
twice, even by two requests racing. Ten single-use recovery codes (80 random
bits each, stored as SHA-256) stand in for a lost device.
``security.require_staff_2fa`` (or the owner's switch, kept in the site
settings) makes two-factor compulsory for every staff member.

The changes are recorded in the audit log by these functions, with the
``actor`` they are given (see :mod:`engine.accounts.roles`):
``staff.2fa_enabled``, ``staff.2fa_disabled``, ``staff.recovery_codes_renewed``,
``staff.2fa_reset`` (another member's, which also ends their sessions) and
``security.require_staff_2fa``.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timezone

import pyotp

from engine.accounts import passwords
from engine.accounts.roles import AccountError, NotAllowed, member_to_change, record_change
from engine.accounts.tables import StaffRecoveryCode, StaffUser
from engine.db.sql import fetch
from engine.secrets import SecretBox
from engine.security.sessions import STAFF, end_user_sessions, ensure_reachable
from engine.system import site_settings

TOTP_ISSUER_FALLBACK = "Shopwright"
RECOVERY_CODES = 10
REQUIRE_2FA_KEY = "security.require_staff_2fa"


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _member(staff_id: int) -> dict | None:
    return await StaffUser.select().where(StaffUser.id == staff_id).first().run()


# ------------------------------------------------------------------ TOTP
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
    """The staff member's TOTP key (None: two-factor is off)."""
    if not row.get("totp_secret") or row.get("totp_enabled_at") is None:
        return None
    return SecretBox(secret_key).decrypt(row["totp_secret"])


async def verify_totp(staff_id: int, code: str, secret_key: str) -> bool:
    """Accept ``code`` once: its step must be later than the last accepted one."""
    row = await _member(staff_id)
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


async def enable_totp(staff_id: int, secret: str, code: str, secret_key: str, *,
                      actor: dict | None = None) -> list[str] | None:
    """Turn two-factor on with ``secret`` once ``code`` proves the device has
    it; returns fresh recovery codes (shown once), or None for a wrong code.
    Recorded as ``staff.2fa_enabled``."""
    step = matching_step(secret, code)
    if step is None:
        return None
    await StaffUser.update({StaffUser.totp_secret: SecretBox(secret_key).encrypt(secret),
                            StaffUser.totp_enabled_at: _now(), StaffUser.totp_last_step: step}).where(
        StaffUser.id == staff_id).run()
    codes = await _new_recovery_codes(staff_id)
    row = await _member(staff_id)
    await record_change(actor, "staff.2fa_enabled", row["email"] if row else f"staff:{staff_id}")
    return codes


async def _clear(staff_id: int) -> None:
    await StaffUser.update({StaffUser.totp_secret: "", StaffUser.totp_enabled_at: None,
                            StaffUser.totp_last_step: 0}).where(StaffUser.id == staff_id).run()
    await StaffRecoveryCode.delete().where(StaffRecoveryCode.staff_id == staff_id).run()


async def disable_totp(runtime, staff_id: int, password: str, *, actor: dict | None = None) -> None:
    """The staff member turns their own two-factor off, proving it with their
    ``password`` (:class:`AccountError` when wrong); :class:`NotAllowed` while
    two-factor is required for all staff. Recorded as ``staff.2fa_disabled``."""
    if await staff_2fa_required(runtime.settings):
        raise NotAllowed("Two-factor sign-in is required for all staff: it cannot be turned off.")
    row = await _member(staff_id)
    if row is None or not row["active"] or not await passwords.verify_async(row["password_hash"], password):
        raise AccountError("The password is wrong.")
    await _clear(staff_id)
    await record_change(actor, "staff.2fa_disabled", row["email"])


async def reset_two_factor(runtime, staff_id: int, *, actor: dict | None = None) -> int:
    """Turn another staff member's two-factor off (a lost device) and end
    their sessions; returns how many ended. :class:`NotAllowed` when there is
    no such member or they hold permissions ``actor`` does not. Recorded as
    ``staff.2fa_reset``."""
    row = await member_to_change(actor, staff_id)
    await ensure_reachable(runtime.session_store)
    await _clear(staff_id)
    ended = await end_user_sessions(runtime.session_store, STAFF, staff_id)
    await record_change(actor, "staff.2fa_reset", f"staff:{staff_id}", {"email": row["email"],
                                                                         "sessions_ended": ended})
    return ended


# ------------------------------------------------------------------ recovery codes
def _code_digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


async def _new_recovery_codes(staff_id: int) -> list[str]:
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


async def renew_recovery_codes(staff_id: int, code: str, secret_key: str, *, actor: dict | None = None) -> list[str]:
    """Replace the staff member's recovery codes once a current TOTP ``code``
    proves it is them (:class:`AccountError` when wrong or used already);
    returns the new codes (shown once). Recorded as ``staff.recovery_codes_renewed``."""
    if not await verify_totp(staff_id, code, secret_key):
        raise AccountError("That code is wrong or was used already.")
    codes = await _new_recovery_codes(staff_id)
    row = await _member(staff_id)
    await record_change(actor, "staff.recovery_codes_renewed", row["email"] if row else f"staff:{staff_id}")
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


# ------------------------------------------------------------------ policy
async def staff_2fa_required(settings) -> bool:
    """Whether every staff member must use two-factor (setting or owner's switch)."""
    if settings.security.require_staff_2fa:
        return True
    return bool(await site_settings.read(REQUIRE_2FA_KEY, False))


async def set_staff_2fa_required(required: bool, *, actor: dict | None = None) -> None:
    """The owner's switch: require two-factor for every staff member (or not).
    Recorded as ``security.require_staff_2fa``."""
    await site_settings.write(REQUIRE_2FA_KEY, bool(required))
    await record_change(actor, "security.require_staff_2fa", "", {"required": bool(required)})
