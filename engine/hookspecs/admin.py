"""Admin hooks: permissions and menu entries."""
from __future__ import annotations

from engine.hookspecs.contract import spec


@spec("collect", "request", implementation="sync")
def admin_permissions():
    """Permissions this plugin introduces.

    Collect-all; sync; request hook (fast, no network): called when permissions
    are listed or checked. Returns a list of :class:`engine.protocols.Permission`.
    Codes are ``<area>:<action>``; a code declared by two plugins is a HookError.
    """


@spec("collect", "request", implementation="sync", on_failure="skip")
def admin_menu_items(actor):
    """Entries for the admin navigation visible to ``actor``.

    Collect-all; sync; request hook (called while rendering admin pages: fast,
    no network). Returns a list of :class:`engine.protocols.AdminMenuItem`; the
    core hides items whose permission the actor lacks.
    """
