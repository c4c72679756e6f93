"""Admin hooks: permissions and menu entries."""
from __future__ import annotations

from engine import hookspec


@hookspec
def admin_permissions():
    """Permissions this plugin introduces.

    Collect-all; sync; returns a list of :class:`engine.protocols.Permission`.
    Codes are ``<area>:<action>``; a code declared twice is an error at start-up.
    """


@hookspec
def admin_menu_items(actor):
    """Entries for the admin navigation visible to ``actor``.

    Collect-all; sync; returns a list of :class:`engine.protocols.AdminMenuItem`;
    the core hides items whose permission the actor lacks.
    """
