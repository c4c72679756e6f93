"""E-mailed single-use tokens: e-mail verification and password reset; and
the record of a sign-up notice (``signup_attempt``: the e-mail telling an
account's owner that someone tried to sign up with their address, whose
token no page accepts — the row only carries the e-mail through the outbox).

A token is ``<id>.<mac>`` where ``mac = HMAC-SHA256(secret_key,
"account:<purpose>:<id>:<salt>")``. Only the salt is stored, so neither a
copy of the database nor the job queue (the e-mail job gets only the id and
rebuilds the token) reveals a usable token. A token works once, before its
expiry, for its purpose only: :func:`consume` marks it used with a
conditional update, so two requests racing with the same token cannot both
succeed. Issuing a new reset token retires the older unused ones.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from engine.accounts.tables import AccountToken
from engine.db.sql import fetch, fetchone

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
SIGNUP_ATTEMPT = "signup_attempt"
#: Token ids are 32-bit serials.
MAX_ID = 2**31 - 1
PURPOSES = (VERIFY_EMAIL, RESET_PASSWORD, SIGNUP_ATTEMPT)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _mac(secret_key: str, purpose: str, token_id: int, salt: str) -> str:
    digest = hmac.new(secret_key.encode(), f"account:{purpose}:{token_id}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_text(secret_key: str, row: dict) -> str:
    return f"{row['id']}.{_mac(secret_key, row['purpose'], row['id'], row['salt'])}"


async def issue(secret_key: str, customer_id: int, email: str, purpose: str, lifetime: timedelta) -> dict:
    """A new token row (retiring older unused ones of the same purpose)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    now = _now()
    await fetch("UPDATE account_tokens SET used_at = {} WHERE customer = {} AND purpose = {} AND used_at IS NULL",
                now, customer_id, purpose)
    rows = await AccountToken.insert(AccountToken(
        customer=customer_id, purpose=purpose, email=email, salt=secrets.token_hex(16), expires_at=now + lifetime,
        created_at=now)).returning(*AccountToken.all_columns()).run()
    return rows[0]


async def issued_since(customer_id: int, purpose: str, since: datetime) -> bool:
    """Whether a token of ``purpose`` was issued to the customer after ``since``."""
    return await fetchone("SELECT id FROM account_tokens WHERE customer = {} AND purpose = {} AND created_at > {} "
                          "LIMIT 1", customer_id, purpose, since) is not None


def _is_id(text: str) -> bool:
    """ASCII digits of a value a 32-bit id column holds (``"²"`` and
    ``"99999999999999999999"`` are not: such a link is simply invalid)."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID


async def _find(secret_key: str, token: str, purpose: str) -> dict | None:
    head, _, mac = (token or "").partition(".")
    if not _is_id(head) or not mac or len(token) > 200:
        _mac(secret_key, purpose, 0, "x")  # the same work either way
        return None
    row = await fetchone("SELECT * FROM account_tokens WHERE id = {}", int(head))
    if row is None or row["purpose"] != purpose:
        _mac(secret_key, purpose, 0, "x")
        return None
    if not hmac.compare_digest(_mac(secret_key, purpose, row["id"], row["salt"]).encode(), mac.encode()):
        return None
    return row


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def check(secret_key: str, token: str, purpose: str) -> dict | None:
    """The token's row when it is valid, unused and unexpired (not spent)."""
    row = await _find(secret_key, token, purpose)
    if row is None or row["used_at"] is not None or _aware(row["expires_at"]) <= _now():
        return None
    return row


async def consume(secret_key: str, token: str, purpose: str) -> dict | None:
    """Spend the token: its row, or None when invalid, used or expired."""
    row = await check(secret_key, token, purpose)
    if row is None:
        return None
    spent = await fetch("UPDATE account_tokens SET used_at = {} WHERE id = {} AND used_at IS NULL RETURNING id",
                        _now(), row["id"])
    return row if spent else None
