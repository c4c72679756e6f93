"""The audit log from the HTTP side.

:func:`record` writes an entry for the current request (its actor, IP
address and user agent) through :mod:`engine.audit`. :func:`install`
also records every successful state-changing request to ``/admin`` or
``/api/v1/admin`` that nothing recorded itself — order actions, promotions,
catalog changes — with the endpoint as the action and the URL arguments as
the target. Services that audit their own changes (plugins, themes) are given
:func:`request_actor` and the view calls :func:`mark_audited`, so such a
request has exactly one entry.
"""
from __future__ import annotations

from typing import Any

import structlog
from quart import Quart, g, request

from engine import audit
from engine.web.client import client_ip, user_agent

log = structlog.get_logger("shopwright.audit")

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def request_actor(actor: dict | None = None) -> dict:
    """``actor`` (default: the request's) with the request's ``ip`` and
    ``user_agent``: what services that audit their changes are given."""
    base = actor if actor is not None else (g.get("actor") or {})
    return {**base, "ip": client_ip(), "user_agent": user_agent()}


def mark_audited() -> None:
    """The view (or the service it called) wrote its own entry."""
    g.audited = True


async def record(action: str, target: str = "", details: dict[str, Any] | None = None, actor: dict | None = None,
                 actor_name: str | None = None) -> None:
    """Write one audit entry for the current request (``actor`` defaults to
    the request's actor)."""
    mark_audited()
    await audit.record(action, target, details, request_actor(actor), actor_name)


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
            await record(endpoint, target, await _details())
        except Exception as exc:  # the action happened; a failed audit write is logged loudly
            log.error("audit.write_failed", endpoint=endpoint, error=repr(exc))
        return response
