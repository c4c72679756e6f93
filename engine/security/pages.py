"""Small HTML answers of the security layer (403 for a bad CSRF token, 429
for throttled sign-ins): themed on the storefront, plain under /admin."""
from __future__ import annotations

from html import escape

import structlog
from quart import Response

log = structlog.get_logger("shopwright.security")


def plain_page(status: int, title: str, message: str) -> Response:
    body = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
            f"<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p></main></body></html>")
    return Response(body, status=status, content_type="text/html; charset=utf-8")


async def simple_page(status: int, title: str, message: str) -> Response:
    from engine.security.sessions import uses_staff_session

    if uses_staff_session():
        from engine.admin.rendering import render_admin

        return await render_admin("admin/message.html", status=status, title=title, message=message)
    try:
        from engine.catalog import services as catalog
        from engine.storefront.rendering import render

        return await render("unavailable.html", status=status, feature=title, reason=message,
                            categories=await catalog.category_tree())
    except Exception as exc:  # the answer must not depend on the theme working
        log.warning("security.page_fallback", error=repr(exc))
        return plain_page(status, title, message)
