"""Admin pages plugins add (the ``admin_pages`` call site): which pages the
active plugins offer, found by plugin and path, and their menu entries.

A page is served by the admin at ``/admin/plugins/<plugin>/<path>``
(:mod:`engine.admin.plugin_pages`). Only active plugins are asked, on every
call, so a page appears when its plugin is enabled and answers 404 once it
is disabled, without a restart. A plugin whose hook raises is left out
(logged); a page that is malformed or repeats a path of its plugin is left
out with a warning, the plugin's other pages stay.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import structlog

from engine.accounts.permissions import actor_has
from engine.protocols import AdminMenuItem, AdminPage

log = structlog.get_logger("shopwright.admin")

PATH = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_-]*)*$")
PERMISSION = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$|^all$")
MAX_PATH = 100
MAX_TITLE = 200
PREFIX = "/admin/plugins"


@dataclass(frozen=True)
class PluginPage:
    """An :class:`AdminPage` with the plugin that offers it."""

    plugin: str
    page: AdminPage

    @property
    def url(self) -> str:
        return f"{PREFIX}/{self.plugin}/{self.page.path}"

    def permission_for(self, method: str) -> str:
        """The permission a request with ``method`` needs."""
        if method in ("GET", "HEAD"):
            return self.page.permission
        return self.page.post_permission or self.page.permission


def _problem(page: Any) -> str | None:
    """Why ``page`` cannot be served, or None."""
    if not isinstance(page, AdminPage):
        return f"{page!r} is not an AdminPage"
    if not isinstance(page.path, str) or len(page.path) > MAX_PATH or not PATH.match(page.path):
        return (f"path {page.path!r} must be lower-case segments (letters, digits, '-', '_') separated by '/', "
                f"at most {MAX_PATH} characters")
    if not isinstance(page.title, str) or not page.title.strip() or len(page.title) > MAX_TITLE:
        return f"page {page.path!r}: the title must be 1 to {MAX_TITLE} characters"
    for name in ("permission", "post_permission"):
        value = getattr(page, name)
        if name == "post_permission" and value is None:
            continue
        if not isinstance(value, str) or not PERMISSION.match(value):
            return f"page {page.path!r}: {name} {value!r} must be a permission code such as 'erp:read'"
    if not callable(page.view):
        return f"page {page.path!r}: view must be a function"
    return None


async def plugin_pages(runtime: Any) -> list[PluginPage]:
    """Every admin page of the active plugins, in hook order."""
    found: list[PluginPage] = []
    seen: set[tuple[str, str]] = set()
    # a failing plugin is skipped: the other plugins' pages stay
    for plugin, result in await runtime.host.hook("admin_pages"):
        for page in result if isinstance(result, (list, tuple)) else [result]:
            problem = _problem(page)
            if problem is None and (plugin, page.path) in seen:
                problem = f"path {page.path!r} is used twice"
            if problem is not None:
                log.warning("admin_pages.refused", plugin=plugin, problem=problem)
                continue
            seen.add((plugin, page.path))
            found.append(PluginPage(plugin, page))
    return found


async def find_page(runtime: Any, plugin: str, path: str) -> PluginPage | None:
    """The page ``path`` of active plugin ``plugin``, or None."""
    if len(plugin) > MAX_PATH or len(path) > MAX_PATH or not runtime.host.is_active(plugin):
        return None
    return next((p for p in await plugin_pages(runtime) if p.plugin == plugin and p.page.path == path), None)


async def page_menu_items(runtime: Any, actor: dict | None) -> list[AdminMenuItem]:
    """Menu entries of the pages with ``menu`` whose permission ``actor`` holds."""
    if not actor:
        return []
    return [AdminMenuItem(label=p.page.title, url=p.url, permission=p.page.permission)
            for p in await plugin_pages(runtime) if p.page.menu and actor_has(actor, p.page.permission)]
