"""Staff and API token tables."""
from __future__ import annotations

from piccolo.columns import Boolean, Text, Timestamptz, Varchar
from piccolo.table import Table


class StaffUser(Table, tablename="staff_users"):
    """A member of staff. ``password_hash`` is argon2id; ``role`` names a role."""

    email = Varchar(length=320, unique=True, index=True)
    password_hash = Text()
    role = Varchar(length=50, default="support")
    active = Boolean(default=True)
    created_at = Timestamptz()


class ApiToken(Table, tablename="api_tokens"):
    """An admin API token. Only its SHA-256 digest is stored; ``prefix`` identifies it
    in listings. ``scopes`` is a comma-separated list."""

    name = Varchar(length=200)
    prefix = Varchar(length=16, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    scopes = Text(default="")
    created_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
