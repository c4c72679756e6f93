"""What the admin's page modules share: reading a form, the staff session of
the request, and the "Not done" page that answers a refused change."""
from __future__ import annotations

from typing import Any

from quart import Response, request

from engine.accounts.roles import AccountError, Conflict, NotAllowed, NotFound
from engine.admin.rendering import render_admin
from engine.web import sessions


async def form_fields() -> dict[str, Any]:
    """The request's form as a plain dict (the first value of each field)."""
    form = await request.form
    return {key: form.get(key, "") for key in form}


async def staff_session() -> sessions.ServerSession:
    return await sessions.staff_session()


def refusal_status(exc: AccountError) -> int:
    """The HTTP status of a refused change: 403 not allowed, 409 conflict,
    404 not found, 422 bad input."""
    if isinstance(exc, NotAllowed):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, NotFound):
        return 404
    return 422


async def refuse(message: str, link: str, status: int = 403) -> Response:
    """The "Not done" page with ``message`` and a link back to ``link``."""
    return await render_admin("admin/message.html", status=status, title="Not done", message=message, link=link)


async def refused(exc: AccountError, link: str) -> Response:
    """The "Not done" page for a service's refusal (its message and status)."""
    return await refuse(str(exc), link, refusal_status(exc))
