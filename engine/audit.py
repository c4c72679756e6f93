"""The audit log of staff actions: who, what, when and from where.

:func:`record` writes one entry: the actor (a staff member, an API token, the
command line), the action (``staff.create``, ``plugin.enable``, ...), its
target, details and, for a request, the IP address and user agent. Services
that change staff, roles, tokens, plugins or themes record their own entries,
so the admin pages, the admin API and the CLI write the same ones. Details
never hold secrets: for settings changes only the changed keys are kept.

The table (``audit_log``) is defined here and migrated with the ``accounts``
Piccolo app. This module sits below the plugin host, which audits plugin
changes, so it imports nothing but the kernel.
"""
from __future__ import annotations

import getpass
import json
from datetime import datetime, timezone
from typing import Any

import structlog

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

log = structlog.get_logger("shopwright.audit")


class AuditEntry(Table, tablename="audit_log"):
    """Who did what, when and from where: one row per staff action (and per
    staff sign-in attempt). ``details`` is a JSON object (never a secret)."""

    id = Serial(primary_key=True)
    at = Timestamptz(index=True)
    actor = Varchar(length=320, default="")
    actor_kind = Varchar(length=20, default="")
    actor_id = Integer(null=True, default=None)
    action = Varchar(length=200, index=True)
    target = Varchar(length=400, default="")
    details = Text(default="{}")
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=300, default="")


def command_line_actor() -> dict[str, Any]:
    """The actor of a change made with the ``shopwright`` command: the
    operating-system user who ran it (``cli:<user>``)."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (a bare container)
        user = "unknown"
    return {"kind": "cli", "name": f"cli:{user}"}


def actor_label(actor: dict | None) -> tuple[str, str, int | None]:
    """``(label, kind, id)`` of an actor dict (``kind`` staff, token or cli)."""
    if not actor:
        return "", "", None
    kind = str(actor.get("kind", ""))
    if kind == "token":
        return f"token:{actor.get('name', '')}", kind, actor.get("id")
    return str(actor.get("email") or actor.get("name") or actor.get("id") or ""), kind, actor.get("id")


async def record(action: str, target: str = "", details: dict[str, Any] | None = None, actor: dict | None = None,
                 actor_name: str | None = None, ip: str | None = None, user_agent: str | None = None) -> None:
    """Write one audit entry. ``actor`` carries ``ip`` and ``user_agent``
    when the change came through a request (see :mod:`engine.web.audit`)."""
    label, kind, actor_id = actor_label(actor)
    if actor_name is not None:
        label = actor_name
    ip = ip if ip is not None else (actor or {}).get("ip")
    user_agent = user_agent if user_agent is not None else (actor or {}).get("user_agent")
    await AuditEntry.insert(AuditEntry(
        at=datetime.now(timezone.utc), actor=label[:320], actor_kind=kind, actor_id=actor_id, action=action[:200],
        target=str(target)[:400], details=json.dumps(details or {}, default=str)[:4000], ip=ip or "",
        user_agent=(user_agent or "")[:300])).run()
    log.info("audit", action=action, actor=label, target=target)


async def entries(limit: int = 100, before: int | None = None, action: str | None = None) -> list[dict]:
    """Newest first: at most ``limit`` (1..500) entries older than id ``before``, of ``action`` if given."""
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False).limit(min(max(limit, 1), 500))
    if before:
        query = query.where(AuditEntry.id < before)
    if action:
        query = query.where(AuditEntry.action == action)
    rows = await query.run()
    for row in rows:
        row["at"] = row["at"].isoformat() if isinstance(row["at"], datetime) else row["at"]
        try:
            row["details"] = json.loads(row["details"] or "{}")
        except ValueError:
            row["details"] = {}
    return rows
