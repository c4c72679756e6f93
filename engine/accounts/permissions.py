"""Permissions and admin menu entries contributed by plugins."""
from __future__ import annotations

from typing import Any

from engine.plugins import HookError
from engine.protocols import AdminMenuItem, Permission


def _of_type(kind: type):
    """An ``accept`` for a hook answering a list of ``kind``."""
    def accept(plugin: str, items: Any) -> list:
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"returned {items!r}, not a list of {kind.__name__}")
        for item in items:
            if not isinstance(item, kind):
                raise TypeError(f"{item!r} is not a {kind.__name__}")
        return list(items)
    return accept


async def all_permissions(runtime) -> dict[str, Permission]:
    """Every permission code declared by active plugins. A code declared by two
    plugins is a HookError naming the second."""
    found: dict[str, tuple[str, Permission]] = {}
    for plugin, permissions in await runtime.host.hook("admin_permissions", accept=_of_type(Permission)):
        for permission in permissions:
            if permission.code in found:
                raise HookError(plugin, "admin_permissions",
                                f"permission {permission.code!r} is already declared by {found[permission.code][0]!r}")
            found[permission.code] = (plugin, permission)
    return {code: permission for code, (_, permission) in found.items()}


def actor_has(actor: dict | None, permission: str) -> bool:
    if not actor:
        return False
    granted = actor.get("permissions") or set()
    return "all" in granted or permission in granted


async def menu_items(runtime, actor: dict | None) -> list[AdminMenuItem]:
    """Menu entries the actor may see, in hook order."""
    items = []
    for _, entries in await runtime.host.hook("admin_menu_items", actor=actor, accept=_of_type(AdminMenuItem)):
        for item in entries:
            if actor_has(actor, item.permission):
                items.append(item)
    return items
