"""Sample plugin with a cron job that runs every second."""
from __future__ import annotations

import time

import engine
from engine.protocols import JobDefinition

MANIFEST = engine.PluginManifest(name="sample_cron", title="Sample cron", version="0.1.0")

ticks: list[dict] = []


async def tick(ctx):
    ticks.append({"job_id": ctx["job_id"], "job_try": ctx["job_try"], "at": time.monotonic()})


@engine.hookimpl
def jobs_register():
    return [JobDefinition(name="sample_cron.tick", func=tick, cron={"second": set(range(60))})]
