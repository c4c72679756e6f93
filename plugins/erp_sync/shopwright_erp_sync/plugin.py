"""The ``erp_sync`` plugin: manifest and hook implementations.

This release ships the plugin's identity, settings and staff permissions;
it runs no sync yet.
"""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.protocols import Permission

from shopwright_erp_sync.settings import ErpSyncSettings

MANIFEST = PluginManifest(
    name="erp_sync",
    title="ERP sync",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Keeps products, stock and orders in step with an ERP (Odoo JSON-RPC or CSV exchange).",
    settings=ErpSyncSettings,
)

PERMISSIONS = [
    Permission("erp:read", "View ERP sync status and failed records"),
    Permission("erp:write", "Run ERP pulls and pushes and retry failed records"),
]


@hookimpl
def admin_permissions() -> list[Permission]:
    return PERMISSIONS
