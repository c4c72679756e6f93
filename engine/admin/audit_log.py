"""The audit log page, ``/admin/audit`` (``audit:read``): newest first, 100
a page, ``?before=<id>`` pages on, ``?action=`` filters. The entries are
:mod:`engine.audit`'s."""
from __future__ import annotations

from quart import Blueprint, request

from engine import audit
from engine.admin.access import staff_page
from engine.admin.rendering import render_admin

blueprint = Blueprint("admin_audit", __name__)

PAGE = 100


@blueprint.get("/admin/audit")
@staff_page("audit:read")
async def audit_log():
    before = request.args.get("before", type=int)
    action = request.args.get("action") or None
    rows = await audit.entries(PAGE, before, action)
    older = rows[-1]["id"] if len(rows) == PAGE else None
    return await render_admin("admin/audit.html", entries=rows, older=older, action=action or "")
