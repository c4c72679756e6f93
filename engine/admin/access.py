"""Guarding admin HTML pages: :func:`staff_page` declares a page's permission
(see :mod:`engine.web.guard` for the deny-by-default rule and the JSON API's
:func:`~engine.web.guard.require_permission`)."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable
from urllib.parse import quote

from quart import g, redirect, request

from engine.accounts.permissions import actor_has
from engine.accounts.staff import SELF
from engine.admin.rendering import render_admin
from engine.web.guard import current_actor

#: Permission of pages every signed-in staff member may open.
ANY_STAFF = SELF
#: Where a staff member who must still set up two-factor may go.
TWO_FACTOR_PATHS = ("/admin/account/2fa", "/admin/logout")


def staff_page(permission: str) -> Callable:
    """Guard an admin HTML page with ``permission``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any):
            actor = await current_actor()
            if actor is None or actor.get("kind") != "staff":
                return redirect(f"/admin/login?next={quote(request.path, safe='/')}", 303)
            if actor.get("must_enrol") and not request.path.startswith(TWO_FACTOR_PATHS):
                return redirect("/admin/account/2fa", 303)
            if not actor_has(actor, permission):
                return await render_admin("admin/message.html", status=403, title="Not allowed",
                                          message=f"This page needs the {permission!r} permission.")
            g.actor = actor
            return await view(*args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return decorate
