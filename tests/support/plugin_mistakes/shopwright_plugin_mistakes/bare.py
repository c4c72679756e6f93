"""Mistake: hooks but no MANIFEST."""
from engine import hookimpl


@hookimpl
def admin_permissions():
    return []
