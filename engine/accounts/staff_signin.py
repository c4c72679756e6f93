"""Staff sign-in: the password, then — when the member has two-factor — a
TOTP code or a recovery code; throttled, logged and audited.

The caller (the admin's sign-in pages) gives the running shop, the client's
IP address and user agent as plain arguments and keeps the session: it asks
:func:`check_password`, then :func:`needs_second_factor`, then
:func:`check_second_factor` when needed, and finally :func:`signed_in`.

Throttling (:mod:`engine.security.throttle`, with the ``[security]`` limits
and ``runtime.clock``): passwords per account (``staff:<email>``) and per IP
address, codes per staff member (``totp:<id>``) and per IP address. Each
attempt is reserved (counted as a failure) before anything is checked, so
concurrent attempts cannot get past the limit; a refused attempt raises
:class:`~engine.security.throttle.Throttled` with nothing checked; a wrong
answer raises :class:`SignInFailed` (the failure stays counted); a right one
clears the account's (or member's) count and gives the address's back.

Audit entries: ``staff.login_throttled`` and ``staff.login_failed`` (actor:
the e-mail address tried), ``staff.2fa_failed``, ``staff.recovery_code_used``,
``staff.login`` and ``staff.logout`` (actor: the staff member).
"""
from __future__ import annotations

import structlog

from engine import audit
from engine.accounts import staff, two_factor
from engine.security import throttle
from engine.security.throttle import Throttled

__all__ = ["SignInFailed", "Throttled", "check_password", "needs_second_factor", "check_second_factor",
           "signed_in", "signed_out"]

log = structlog.get_logger("shopwright.auth")

RECOVERY_CODE_LENGTH = 16


class SignInFailed(Exception):
    """A wrong e-mail address, password or code (the answer never says which)."""


def _policy(runtime) -> throttle.Policy:
    return throttle.Policy.from_settings(runtime.settings.security, clock=runtime.clock)


def _member_actor(row: dict, ip: str, user_agent: str) -> dict:
    return {"kind": "staff", "id": row["id"], "email": row["email"], "ip": ip, "user_agent": user_agent}


async def check_password(runtime, email: str, password: str, *, ip: str, user_agent: str = "") -> dict:
    """The active staff member's row when ``password`` is theirs.

    Raises :class:`Throttled` (recorded as ``staff.login_throttled``) while
    the account or the address must wait, without checking the password;
    :class:`SignInFailed` (recorded as ``staff.login_failed`` with the
    account's failure count) for a wrong e-mail address or password."""
    email = (email or "").strip().lower()[:320]
    keys = (throttle.account_key("staff", email), throttle.ip_key(ip))
    try:
        counts = await throttle.reserve(_policy(runtime), *keys)
    except Throttled as exc:
        await audit.record("staff.login_throttled", email, {"retry_after": exc.retry_after}, actor_name=email,
                           ip=ip, user_agent=user_agent)
        raise
    row = await staff.verify_staff_password(email, password)  # an error leaves the attempt counted
    if row is None:
        log.warning("auth.login_failed", realm="staff", account=email, ip=ip, failures=counts.get(keys[0]))
        await audit.record("staff.login_failed", email, {"failures": counts.get(keys[0])}, actor_name=email,
                           ip=ip, user_agent=user_agent)
        raise SignInFailed()
    await throttle.succeeded(*keys)
    return row


def needs_second_factor(runtime, row: dict) -> bool:
    """Whether the staff member must also give a code (two-factor is on)."""
    return bool(two_factor.totp_secret_of(row, runtime.settings.secret_key))


async def check_second_factor(runtime, row: dict, code: str, *, ip: str, user_agent: str = "") -> str:
    """Accept a TOTP code (once) or an unused recovery code of the staff
    member; returns how: ``"totp"`` or ``"recovery code"`` (recorded as
    ``staff.recovery_code_used`` with the codes left).

    Raises :class:`Throttled` while the member or the address must wait
    (nothing checked, nothing recorded); :class:`SignInFailed` (recorded as
    ``staff.2fa_failed`` with the member's failure count) for a wrong or
    used code."""
    code = (code or "").strip()[:100]
    keys = (f"totp:{row['id']}", throttle.ip_key(ip))
    counts = await throttle.reserve(_policy(runtime), *keys)
    method = "totp"
    ok = await two_factor.verify_totp(row["id"], code, runtime.settings.secret_key)
    if not ok and len(code.replace("-", "")) == RECOVERY_CODE_LENGTH:
        ok = await two_factor.use_recovery_code(row["id"], code)
        method = "recovery code"
    actor = _member_actor(row, ip, user_agent)
    if not ok:
        await audit.record("staff.2fa_failed", row["email"], {"failures": counts.get(keys[0])}, actor)
        raise SignInFailed()
    await throttle.succeeded(*keys)
    if method == "recovery code":
        await audit.record("staff.recovery_code_used", row["email"],
                           {"left": await two_factor.recovery_codes_left(row["id"])}, actor)
    return method


async def signed_in(runtime, row: dict, *, two_factor_used: bool, method: str = "password", ip: str,
                    user_agent: str = "") -> bool:
    """The staff member is signed in (the caller has made the session):
    their last sign-in time is kept and ``staff.login`` recorded. Returns
    whether they must still set up two-factor (it is required and they
    signed in without it)."""
    required = await two_factor.staff_2fa_required(runtime.settings)
    await staff.record_login(row["id"])
    await audit.record("staff.login", row["email"], {"two_factor": two_factor_used, "method": method},
                       _member_actor(row, ip, user_agent))
    return required and not two_factor_used


async def signed_out(actor: dict) -> None:
    """The staff member ``actor`` signed out (the caller ends the session):
    recorded as ``staff.logout``."""
    await audit.record("staff.logout", str(actor.get("email", "")), None, actor)
