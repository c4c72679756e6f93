"""Staff accounts and admin API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.accounts.tables import ApiToken, StaffUser

#: Roles and the permissions they grant. "all" grants everything.
ROLES: dict[str, set[str]] = {
    "owner": {"all"},
    "manager": {"catalog:read", "catalog:write", "orders:read", "orders:write", "customers:read", "customers:write"},
    "support": {"catalog:read", "orders:read", "customers:read"},
}
#: Scopes an API token may carry (a token's scopes are its permissions).
SCOPES = ["catalog:read", "catalog:write", "orders:read", "orders:write", "customers:read",
          "customers:write", "plugins:write", "all"]
TOKEN_PREFIX = "swt_"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# argon2id; argon2-cffi's defaults (t=3, m=64 MiB, p=4) exceed OWASP's minimums.
hasher = PasswordHasher()


class AccountError(ValueError):
    pass


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password must be at most {MAX_PASSWORD_LENGTH} characters")


async def create_staff(email: str, password: str, role: str) -> int:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise AccountError(f"not an e-mail address: {email!r}")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    check_password_rules(password)
    if await StaffUser.exists().where(StaffUser.email == email).run():
        raise AccountError(f"a staff account for {email} already exists")
    rows = await StaffUser.insert(
        StaffUser(email=email, password_hash=hasher.hash(password), role=role, created_at=datetime.now(timezone.utc))
    ).returning(StaffUser.id).run()
    return rows[0]["id"]


async def verify_staff_password(email: str, password: str) -> dict | None:
    row = await StaffUser.select().where(StaffUser.email == email.strip().lower()).first().run()
    if row is None or not row["active"]:
        hasher.hash(password)  # same cost whether or not the account exists
        return None
    try:
        hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return row


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> list[str]:
    scopes = [s.strip() for s in text.split(",") if s.strip()]
    if not scopes:
        raise AccountError("at least one scope is required")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise AccountError(f"unknown scope {unknown[0]!r} (known: {', '.join(SCOPES)})")
    return sorted(set(scopes))


async def create_token(name: str, scopes: list[str], expires_days: int | None = None) -> tuple[str, dict]:
    """Create an API token; returns the token (shown once, never stored) and its row."""
    if not name.strip():
        raise AccountError("a token needs a name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc)
    row = dict(
        name=name.strip(), prefix=token[: len(TOKEN_PREFIX) + 6], token_hash=_digest(token), scopes=",".join(scopes),
        created_at=now, expires_at=(now + timedelta(days=expires_days)) if expires_days else None,
    )
    await ApiToken.insert(ApiToken(**row)).run()
    return token, row


async def resolve_token(token: str) -> dict | None:
    """The token's row when it exists, is not revoked and not expired; else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = await ApiToken.select().where(ApiToken.token_hash == _digest(token)).first().run()
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= datetime.now(timezone.utc):
        return None
    return row


def token_grants(row: dict, permission: str) -> bool:
    scopes = set(row["scopes"].split(","))
    return "all" in scopes or permission in scopes
