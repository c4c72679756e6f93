"""Admin hooks: permissions and menu entries."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request")
def admin_permissions():
    """Permissions this plugin introduces.

    Collect-all; may be async; request hook (fast, no network): called when
    permissions are listed or checked. Returns a list of
    :class:`engine.protocols.Permission`. Codes are ``<area>:<action>``; a
    code declared by two plugins is a HookError. Fails closed: a plugin that
    raises or answers something else fails the permission check with an
    error naming it.
    """


@spec("collect", "request", on_failure="skip")
def admin_menu_items(actor):
    """Entries for the admin navigation visible to ``actor``.

    Collect-all; may be async; request hook (called while rendering admin
    pages: fast, no network). Returns a list of
    :class:`engine.protocols.AdminMenuItem`; the core hides items whose
    permission the actor lacks. A plugin that fails adds no entries (logged,
    shown to staff).
    """
