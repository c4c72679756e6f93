"""Rendering admin pages: the admin's own templates (``engine/admin/templates``,
not the storefront theme's, so a theme can never alter the admin), with
autoescape, the staff session's CSRF token and the shop's one
Content-Security-Policy (fresh nonce per response; see
:mod:`engine.web.headers`). The navigation holds the menu entries of
``admin_menu_items`` and of the pages plugins add (``admin_pages``). Admin
pages are never cached."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from quart import Response, current_app, g, request

from engine.money import format_amount

TEMPLATES = Path(__file__).resolve().parent / "templates"
_environment: Environment | None = None


def _format_money(amount: int, currency: str) -> str:
    """Minor units as text in the store's locale (``format_money(1990, "EUR")``)."""
    return format_amount(amount, currency, current_app.settings.store.locale)


def _admin_time(value: Any) -> str:
    """A stored time as ``YYYY-MM-DD HH:MM UTC`` (SQLite may hand back text)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M") + " UTC"


def environment() -> Environment:
    global _environment
    if _environment is None:
        from engine.admin.submissions import submission_field
        from engine.web.csrf import current_token

        _environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                                   trim_blocks=True, lstrip_blocks=True)
        _environment.globals.update(csrf_token=current_token, format_money=_format_money,
                                    submission_field=submission_field)
        _environment.filters["admin_time"] = _admin_time
        _environment.filters["fromjson"] = json.loads
    return _environment


async def render_admin(template: str, status: int = 200, **context: Any) -> Response:
    from engine.accounts.permissions import menu_items
    from engine.accounts.plugin_pages import page_menu_items
    from engine.web.headers import csp_header, nonce

    actor = g.get("actor")
    try:
        menu = await menu_items(current_app.runtime, actor) if actor else []
        menu += await page_menu_items(current_app.runtime, actor)
    except Exception:  # a broken plugin must not lock staff out of the admin
        menu = []
    value = nonce()
    body = environment().get_template(template).render(
        store=current_app.settings.store, actor=actor, menu=menu, csp_nonce=value, request=request, **context)
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = await csp_header(value)
    response.headers["Cache-Control"] = "private, no-store"
    return response
