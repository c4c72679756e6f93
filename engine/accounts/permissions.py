"""Permissions and admin menu entries contributed by plugins."""
from __future__ import annotations

from engine.plugins import HookError
from engine.protocols import AdminMenuItem, Permission


async def all_permissions(runtime) -> dict[str, Permission]:
    """Every permission code declared by active plugins. A code declared by two
    plugins is a HookError naming the second."""
    found: dict[str, tuple[str, Permission]] = {}
    for plugin, permissions in await runtime.host.call_each("admin_permissions"):
        for permission in permissions:
            if not isinstance(permission, Permission):
                raise HookError(plugin, "admin_permissions", f"{permission!r} is not a Permission")
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
    for plugin, entries in await runtime.host.call_each("admin_menu_items", actor=actor):
        for item in entries:
            if not isinstance(item, AdminMenuItem):
                raise HookError(plugin, "admin_menu_items", f"{item!r} is not an AdminMenuItem")
            if actor_has(actor, item.permission):
                items.append(item)
    return items
