"""A second subscriber to domain events: records every event it is handed."""
from __future__ import annotations

import engine

MANIFEST = engine.PluginManifest(name="sample_audit", title="Sample audit log", version="0.1.0")

handled: list[dict] = []


@engine.hookimpl
def jobs_handle_event(event, settings):
    handled.append({"id": event.id, "name": event.name, "payload": event.payload})
