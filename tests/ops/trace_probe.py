"""A plugin for the tracing tests: a checkout validator (a request hook) and an
event handler (a job), so one checkout's trace holds a plugin's hook call and
the jobs its events started."""
from __future__ import annotations

import engine

MANIFEST = engine.PluginManifest(name="trace_probe", title="Trace probe", version="0.1.0", events=("order_placed",))

handled: list[int] = []


@engine.hookimpl
async def checkout_validate(checkout):
    return None


@engine.hookimpl
async def jobs_handle_event(event):
    handled.append(event.id)
