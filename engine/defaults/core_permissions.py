"""The core's staff permissions (the admin API token scopes use the same codes)."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.protocols import Permission

MANIFEST = PluginManifest(name="core_permissions", title="Core permissions", version="0.1.0", core=True)

CORE_PERMISSIONS = [
    Permission("catalog:read", "View products, categories and stock"),
    Permission("catalog:write", "Create and change products, prices and stock"),
    Permission("orders:read", "View orders"),
    Permission("orders:write", "Capture, refund, cancel and fulfil orders"),
    Permission("customers:read", "View customers"),
    Permission("customers:write", "Change customers"),
    Permission("plugins:write", "Enable, disable and configure plugins and themes"),
]


@hookimpl
def admin_permissions():
    return CORE_PERMISSIONS
