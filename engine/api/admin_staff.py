"""Admin JSON API for staff, API tokens and the audit log.

- ``GET /api/v1/admin/staff`` (``staff:read``)
- ``GET /api/v1/admin/tokens`` (``staff:read``): tokens without their secret
- ``POST /api/v1/admin/tokens`` (``staff:write``): ``{"name", "scopes": [...],
  "expires_days"?}`` → 201 with ``token`` (shown this once) and the listing
  fields; a caller cannot give scopes it does not hold itself
- ``DELETE /api/v1/admin/tokens/<id>`` (``staff:write``): revoke (204)
- ``GET /api/v1/admin/audit?before=&action=&limit=`` (``audit:read``):
  newest first; ``next_before`` pages on

Making and revoking tokens is checked and audited by
:mod:`engine.accounts.api_tokens` (given the request's actor).
"""
from __future__ import annotations

from datetime import datetime

from quart import Blueprint, request
from quart_schema import validate_request

from engine import audit as audit_trail
from engine.accounts import api_tokens
from engine.accounts import staff as staff_service
from engine.accounts.roles import AccountError, NotAllowed, NotFound
from engine.api.schemas import TokenIn
from engine.web.converters import MAX_ID
from engine.web.audit import mark_audited, request_actor
from engine.web.guard import require_permission
from engine.web.problems import Problem

blueprint = Blueprint("admin_security_api", __name__, url_prefix="/api/v1/admin")


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


@blueprint.get("/staff")
@require_permission("staff:read")
async def list_staff():
    return {"items": [{"id": row["id"], "email": row["email"], "role": row["role"], "active": row["active"],
                       "two_factor": row["totp_enabled_at"] is not None, "created_at": _iso(row["created_at"]),
                       "last_login_at": _iso(row["last_login_at"])} for row in await staff_service.list_staff()]}


@blueprint.get("/tokens")
@require_permission("staff:read")
async def list_tokens():
    return {"items": await api_tokens.list_tokens()}


@blueprint.post("/tokens")
@require_permission("staff:write")
@validate_request(TokenIn)
async def create_token(data: TokenIn):
    try:
        scopes = api_tokens.parse_scopes(data.scopes)
        token, row = await api_tokens.create_token(data.name, scopes, data.expires_days, actor=request_actor())
    except NotAllowed:
        raise Problem(403, "Forbidden", "A token cannot get scopes its maker does not hold.") from None
    except AccountError as exc:
        raise Problem(422, "Validation failed", str(exc)) from None
    mark_audited()
    return {**api_tokens.token_json(row), "token": token}, 201


@blueprint.delete("/tokens/<int:token_id>")
@require_permission("staff:write")
async def revoke_token(token_id: int):
    try:
        await api_tokens.revoke_token(token_id, actor=request_actor())
    except NotFound:
        raise Problem(404, "Not found", "There is no such token.") from None
    mark_audited()
    return "", 204


@blueprint.get("/audit")
@require_permission("audit:read")
async def audit_log():
    try:
        limit = min(max(int(request.args.get("limit", 100)), 1), 500)
        before = int(request.args["before"]) if request.args.get("before") else None
        if before is not None and not 0 <= before <= MAX_ID:
            raise ValueError(before)
    except ValueError:
        raise Problem(422, "Validation failed", "limit and before are whole numbers (before: an entry id).") from None
    rows = await audit_trail.entries(limit, before, request.args.get("action") or None)
    return {"items": rows, "next_before": rows[-1]["id"] if len(rows) == limit else None}
