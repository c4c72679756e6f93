"""Admin API tokens (``Authorization: Bearer swt_...``).

A token is shown once, when it is made; only its SHA-256 is stored, with a
short prefix (``swt_abcdef``) to tell tokens apart in listings. A token
carries scopes (its permissions, :data:`engine.accounts.roles.SCOPES`), may
expire, and is revoked for good. Making and revoking tokens is recorded in
the audit log (``token.create``, ``token.revoke``) by these functions, with
the ``actor`` they are given (see :mod:`engine.accounts.roles`).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from engine import audit
from engine.accounts.roles import SCOPES, AccountError, NotFound, ensure_may_grant, record_change
from engine.accounts.tables import ApiToken
from engine.db.sql import fetch

TOKEN_PREFIX = "swt_"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str | Iterable[str]) -> list[str]:
    """Scopes from a comma-separated text or a list: known, at least one, sorted, no repeats."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    scopes = [s.strip() for s in parts if s and s.strip()]
    if not scopes:
        raise AccountError("at least one scope is required")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise AccountError(f"unknown scope {unknown[0]!r} (known: {', '.join(SCOPES)})")
    return sorted(set(scopes))


async def create_token(name: str, scopes: str | Iterable[str], expires_days: int | None = None, *,
                       actor: dict | None = None) -> tuple[str, dict]:
    """Make an API token with ``scopes`` (all held by ``actor``, else
    :class:`~engine.accounts.roles.NotAllowed`), expiring after
    ``expires_days`` (None: never). Returns the token (shown once, never
    stored) and its row; ``created_by`` is the actor's label. Recorded as
    ``token.create`` with the name, scopes and expiry."""
    scopes = parse_scopes(scopes)
    ensure_may_grant(actor, scopes, "You cannot give a token scopes you do not hold.")
    if not name or not name.strip():
        raise AccountError("a token needs a name")
    if expires_days is not None and expires_days < 1:
        raise AccountError("a token expires after at least one day")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    row = dict(
        name=name.strip()[:200], prefix=token[: len(TOKEN_PREFIX) + 6], token_hash=_digest(token),
        scopes=",".join(scopes), created_at=now,
        expires_at=(now + timedelta(days=expires_days)) if expires_days else None,
        created_by=audit.actor_label(actor)[0][:320],
    )
    inserted = await ApiToken.insert(ApiToken(**row)).returning(ApiToken.id).run()
    row["id"] = inserted[0]["id"]
    await record_change(actor, "token.create", f"token:{row['id']}", {"name": row["name"], "scopes": scopes,
                                                                      "expires_days": expires_days})
    return token, row


async def revoke_token(token_id: int, *, actor: dict | None = None) -> bool:
    """Revoke the token now: True, recorded as ``token.revoke``; False when it
    was revoked already (nothing recorded); :class:`NotFound` when there is
    no such token."""
    rows = await fetch("UPDATE api_tokens SET revoked_at = {} WHERE id = {} AND revoked_at IS NULL "
                       "RETURNING id, name", _now(), token_id)
    if not rows:
        if await get_token(token_id) is None:
            raise NotFound("There is no such token.")
        return False
    await record_change(actor, "token.revoke", f"token:{token_id}", {"name": rows[0]["name"]})
    return True


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


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


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
