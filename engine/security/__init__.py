"""Request security: server-side sessions, CSRF, login throttling, security
headers and the Content-Security-Policy (see docs/security.md).

:func:`install` wires it into an app; ``engine.app.create_app`` calls it.
"""
from __future__ import annotations

from quart import Quart


def install(app: Quart) -> None:
    from engine.security import csrf, headers, ownership, sessions

    sessions.install(app)
    headers.install(app)

    @app.before_request
    async def _csrf_guard():
        return await csrf.guard()

    ownership.install(app)
