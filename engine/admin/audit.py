"""The audit log of staff actions: who, what, when and from where.

:func:`record` writes one entry (actor, action, target, details, IP address,
user agent). Besides the explicit entries (sign-in, two-factor, staff, role
and token changes), :func:`install` records every successful state-changing
request to ``/admin`` or ``/api/v1/admin`` that its view did not record
itself — plugin enable/disable/configure, order actions, promotions — with
the endpoint as the action and the URL arguments as the target. Details
never hold secrets: for settings changes only the changed keys are kept.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import structlog
from quart import Quart, g, request

from engine.accounts.tables import AuditEntry

log = structlog.get_logger("shopwright.audit")

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Endpoint → action name for the admin API routes other modules own.
ACTIONS = {
    "admin_plugins_api.enable_plugin": "plugin.enable",
    "admin_plugins_api.disable_plugin": "plugin.disable",
    "admin_plugins_api.configure_plugin": "plugin.configure",
}


def actor_label(actor: dict | None) -> tuple[str, str, int | None]:
    if not actor:
        return "", "", None
    kind = str(actor.get("kind", ""))
    if kind == "token":
        return f"token:{actor.get('name', '')}", kind, actor.get("id")
    return str(actor.get("email") or actor.get("name") or actor.get("id") or ""), kind, actor.get("id")


async def record(action: str, target: str = "", details: dict[str, Any] | None = None, actor: dict | None = None,
                 actor_name: str | None = None) -> None:
    """Write one audit entry for the current request (``actor`` defaults to
    the request's actor)."""
    from engine.security.client import client_ip, user_agent

    label, kind, actor_id = actor_label(actor if actor is not None else g.get("actor"))
    if actor_name is not None:
        label = actor_name
    g.audited = True
    await AuditEntry.insert(AuditEntry(
        at=datetime.now(timezone.utc), actor=label[:320], actor_kind=kind, actor_id=actor_id, action=action[:200],
        target=str(target)[:400], details=json.dumps(details or {}, default=str)[:4000], ip=client_ip(),
        user_agent=user_agent())).run()
    log.info("audit", action=action, actor=label, target=target)


async def entries(limit: int = 100, before: int | None = None, action: str | None = None) -> list[dict]:
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


async def _details() -> dict[str, Any]:
    details: dict[str, Any] = {}
    if request.is_json:
        body = await request.get_json(silent=True)
        if isinstance(body, dict):
            details["keys"] = sorted(str(key) for key in body)[:50]
    return details


def install(app: Quart) -> None:
    @app.after_request
    async def _audit_admin_writes(response):
        if request.method not in UNSAFE or response.status_code >= 400 or g.get("audited"):
            return response
        if not (request.path.startswith("/api/v1/admin") or request.path == "/admin"
                or request.path.startswith("/admin/")):
            return response
        if g.get("actor") is None:
            return response
        endpoint = request.endpoint or request.path
        target = ",".join(f"{k}={v}" for k, v in sorted((request.view_args or {}).items()))
        try:
            await record(ACTIONS.get(endpoint, endpoint), target, await _details())
        except Exception as exc:  # the action happened; a failed audit write is logged loudly
            log.error("audit.write_failed", endpoint=endpoint, error=repr(exc))
        return response
