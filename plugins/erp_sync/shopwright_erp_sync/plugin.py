"""The ``erp_sync`` plugin: manifest and hook implementations.

Keeps the store and an ERP in step (see the README): products, prices and
stock in (the ``erp_sync.pull`` job, cron every ``interval_minutes``, and
``shopwright erp pull``), paid orders out (``order_paid`` → the
``erp_sync.push_order`` job), store-made stock changes out (``stock_changed``
events not of origin ``erp_sync``).
"""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.protocols import Permission

from shopwright_erp_sync import admin, jobs
from shopwright_erp_sync.commands import erp
from shopwright_erp_sync.settings import ErpSyncSettings

MANIFEST = PluginManifest(
    name="erp_sync",
    title="ERP sync",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Keeps products, stock and orders in step with an ERP (Odoo JSON-RPC or CSV exchange).",
    settings=ErpSyncSettings,
    piccolo_app="shopwright_erp_sync.piccolo_app",
    events=("order_paid", "order_cancelled", "order_refunded", "stock_changed"),
)

PERMISSIONS = [
    Permission("erp:read", "View ERP sync status and failed records"),
    Permission("erp:write", "Run ERP pulls and pushes and retry failed records"),
]


@hookimpl
def admin_permissions() -> list[Permission]:
    return PERMISSIONS


@hookimpl
def admin_pages():
    return admin.pages()


@hookimpl
def jobs_register(settings):
    return jobs.job_definitions(settings)


@hookimpl
async def jobs_handle_event(event, settings, runtime):
    await jobs.handle_event(event, settings, runtime)


@hookimpl
def cli_commands():
    return [erp]
