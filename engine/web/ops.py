"""Operations endpoints: liveness, readiness and Prometheus metrics."""
from __future__ import annotations

import asyncio
import time

from quart import Blueprint, Response, current_app

from engine import __version__

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
async def healthz():
    """The process is alive and serving (no dependency is checked)."""
    return {"status": "ok", "version": __version__}


async def _check(coro_factory, timeout: float = 2.0) -> dict:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(coro_factory(), timeout)
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


async def _failures(runtime) -> dict:
    try:
        return {name: failure.to_json() for name, failure in (await runtime.host.failures()).items()}
    except Exception as exc:  # the database check says why
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


@blueprint.get("/readyz")
async def readyz():
    """Ready to take traffic: the database answers and the job queue is reachable.
    Plugin and theme load problems (one line each, by name, plugins and themes
    installed while running included) and each plugin's latest hook failure
    (``failures``) are reported but do not make the shop unready (a broken
    plugin is skipped, the store keeps running). 503 when not ready."""
    runtime = current_app.runtime
    database = await _check(runtime.database.ping)
    database["dialect"] = runtime.database.dialect
    queue = await _check(runtime.queue.ping)
    queue["kind"] = runtime.queue.kind
    plugins = {
        "active": runtime.host.active,
        "errors": runtime.host.errors(),
        "failures": await _failures(runtime),
    }
    ready = database["ok"] and queue["ok"]
    body = {
        "status": "ok" if ready else "unavailable",
        "version": __version__,
        "database": database,
        "queue": queue,
        "plugins": plugins,
    }
    themes = getattr(current_app, "theme_state", None)
    if themes is not None:  # like plugins: a broken theme is reported, the store keeps running
        body["themes"] = {"active": themes.active,
                          "errors": {name: theme.error for name, theme in sorted(themes.themes.items()) if theme.error}}
    return body, (200 if ready else 503)


@blueprint.get("/metrics")
async def metrics():
    runtime = current_app.runtime
    return Response(runtime.metrics.render(), content_type=runtime.metrics.content_type)
