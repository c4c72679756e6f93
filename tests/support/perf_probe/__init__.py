"""A test plugin for the scale-out test (``tests/perf/test_scale_out.py``).

- settings ``img_host``: added to the storefront's CSP ``img-src`` (so a
  setting change shows in every page, cached or not) and shown at
  ``GET /perf-probe/settings``;
- job ``perf_probe.count(key)``: adds 1 to ``key`` in the Redis hash named by
  the settings ``counter_url`` / ``counter_key``, so a test can tell every job
  ran exactly once; ``POST /api/v1/perf-probe/enqueue`` enqueues such jobs
  (job id ``perf:<key>``, so enqueueing a key twice runs it once);
- every domain event is counted the same way under ``event:<id>``.
"""
from __future__ import annotations

from pydantic import BaseModel
from quart import Blueprint, current_app, request

from engine import PluginManifest, hookimpl
from engine.protocols import JobDefinition

NAME = "perf_probe"


class ProbeSettings(BaseModel):
    img_host: str = "img0.example.test"
    counter_url: str = ""
    counter_key: str = ""


MANIFEST = PluginManifest(
    name=NAME,
    title="Performance probe (tests)",
    version="0.0.1",
    engine=">=0.1,<1",
    settings=ProbeSettings,
)

blueprint = Blueprint(NAME, __name__)


def _settings(runtime) -> ProbeSettings:
    return runtime.host.settings_for(NAME) or ProbeSettings()


async def _count(runtime, field: str) -> None:
    from redis.asyncio import Redis

    settings = _settings(runtime)
    client = Redis.from_url(settings.counter_url)
    try:
        await client.hincrby(settings.counter_key, field, 1)
    finally:
        await client.aclose()


async def count(ctx, key: str) -> str:
    await _count(ctx["runtime"], key)
    return key


@blueprint.get("/perf-probe/settings")
async def show_settings():
    return _settings(current_app.runtime).model_dump()


@blueprint.post("/api/v1/perf-probe/enqueue")
async def enqueue():
    keys = (await request.get_json())["keys"]
    queue = current_app.runtime.queue
    for key in keys:
        await queue.enqueue(f"{NAME}.count", key, _job_id=f"perf:{key}")
    return {"enqueued": len(keys)}


@hookimpl
def lifecycle_blueprints():
    return [blueprint]


@hookimpl
def jobs_register():
    return [JobDefinition(name=f"{NAME}.count", func=count)]


@hookimpl
async def jobs_handle_event(event, runtime):
    await _count(runtime, f"event:{event.id}")


@hookimpl
def theme_csp_sources():
    return {"img-src": [f"https://{_settings(current_app.runtime).img_host}"]}
