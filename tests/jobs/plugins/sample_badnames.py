"""Sample plugin whose job definitions are mostly wrong: only ``sample_badnames.ok`` is valid."""
from __future__ import annotations

import engine
from engine.protocols import JobDefinition

MANIFEST = engine.PluginManifest(name="sample_badnames", title="Bad job names", version="0.1.0")

ran: list[str] = []


async def ok(ctx):
    ran.append("ok")


def not_async(ctx):
    ran.append("not_async")


@engine.hookimpl
def jobs_register():
    return [
        JobDefinition(name="sample_badnames.ok", func=ok),
        JobDefinition(name="other_plugin.steal", func=ok),
        JobDefinition(name="no_prefix", func=ok),
        JobDefinition(name="sample_badnames.", func=ok),
        JobDefinition(name="sample_badnames.sync", func=not_async),
        JobDefinition(name="sample_badnames.bad_cron", func=ok, cron={"fortnight": 2}),
        JobDefinition(name="core.pretend", func=ok),
    ]
