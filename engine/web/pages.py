"""Small HTML answers of the HTTP layer (403 for a bad CSRF token, 429 for
throttled sign-ins): each surface registers how it renders them (themed on
the storefront, the admin's own templates under /admin); without one, a
plain page."""
from __future__ import annotations

from html import escape
from typing import Awaitable, Callable

import structlog
from quart import Quart, Response, current_app

log = structlog.get_logger("shopwright.security")

#: ``(applies, render)``: ``applies()`` says whether the current request is
#: the surface's; ``render(status, title, message)`` answers it.
PageRenderer = tuple[Callable[[], bool], Callable[[int, str, str], Awaitable[Response]]]


def plain_page(status: int, title: str, message: str) -> Response:
    body = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
            f"<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p></main></body></html>")
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def register(app: Quart, applies: Callable[[], bool], render: Callable[[int, str, str], Awaitable[Response]]) -> None:
    """Let a surface render :func:`simple_page` for the requests ``applies`` to
    (the first registered renderer that applies answers)."""
    app.extensions.setdefault("shopwright.pages", []).append((applies, render))


async def simple_page(status: int, title: str, message: str) -> Response:
    """The surface's page for this request; a plain page when none applies or
    rendering fails (the answer must not depend on a theme working)."""
    for applies, render in current_app.extensions.get("shopwright.pages", ()):
        if applies():
            try:
                return await render(status, title, message)
            except Exception as exc:
                log.warning("security.page_fallback", error=repr(exc))
                break
    return plain_page(status, title, message)
