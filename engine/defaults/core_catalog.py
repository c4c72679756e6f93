"""Core catalog jobs: the CSV imports and exports staff start in the admin
(:mod:`engine.catalog.transfers`)."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.catalog.transfers import EXPORT_JOB, IMPORT_JOB, run_export, run_import
from engine.protocols import JobDefinition

MANIFEST = PluginManifest(
    name="core_catalog", title="Catalog jobs", version="0.1.0", core=True,
    description="Runs the product CSV imports and exports started in the admin.",
)


async def import_products(ctx, transfer_id: int) -> str:
    """Import the CSV file kept with the transfer; idempotent (upserts; a finished transfer is skipped)."""
    return await run_import(ctx["runtime"], transfer_id)


async def export_products(ctx, transfer_id: int) -> str:
    """Export every product into the transfer; idempotent (a finished transfer is skipped)."""
    return await run_export(ctx["runtime"], transfer_id)


@hookimpl
def jobs_register():
    return [JobDefinition(name=IMPORT_JOB, func=import_products, max_tries=1, timeout_seconds=3600),
            JobDefinition(name=EXPORT_JOB, func=export_products, max_tries=1, timeout_seconds=3600)]
