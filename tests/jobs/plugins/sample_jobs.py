"""Sample plugin for the job tests: ordinary jobs, failing jobs and an event handler.

Each test loads a fresh copy of this module (the ``load_plugin`` fixture), so
the records below start empty. ``fail_first[task]`` makes the first N attempts
of ``task`` raise (``"event"`` for the event handler).
"""
from __future__ import annotations

import asyncio
import time

import engine
from engine.protocols import JobDefinition

MANIFEST = engine.PluginManifest(name="sample_jobs", title="Sample jobs", version="0.1.0")

calls: list[dict] = []
handled: list[dict] = []
fail_first: dict[str, int] = {}
gate = asyncio.Event()


def attempts(task: str) -> list[dict]:
    return [call for call in calls if call["task"] == task]


def _attempt(task: str, ctx: dict, *args) -> None:
    calls.append({"task": task, "args": args, "job_try": ctx["job_try"], "job_id": ctx["job_id"],
                  "at": time.monotonic()})
    number = len(attempts(task))
    if number <= fail_first.get(task, 0):
        raise RuntimeError(f"{task} fails on purpose (attempt {number})")


async def record(ctx, value):
    _attempt("record", ctx, value)
    return value


async def flaky(ctx, key):
    _attempt("flaky", ctx, key)
    return key


async def always_fails(ctx):
    _attempt("always_fails", ctx)
    raise RuntimeError("always fails")


async def gated(ctx):
    _attempt("gated", ctx)
    await gate.wait()


async def slow(ctx, seconds):
    _attempt("slow", ctx, seconds)
    await asyncio.sleep(seconds)


async def stubborn(ctx):
    """Takes 10 s to honour a cancellation (like a client saying a long goodbye)."""
    _attempt("stubborn", ctx)
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        await asyncio.sleep(10)
        raise


async def enqueue_other(ctx, value):
    _attempt("enqueue_other", ctx, value)
    await ctx["queue"].enqueue("sample_jobs.record", value, _job_id=f"sample_jobs:from:{value}")


@engine.hookimpl
def jobs_register():
    return [
        JobDefinition(name="sample_jobs.record", func=record),
        JobDefinition(name="sample_jobs.flaky", func=flaky),
        JobDefinition(name="sample_jobs.always_fails", func=always_fails, max_tries=3),
        JobDefinition(name="sample_jobs.gated", func=gated),
        JobDefinition(name="sample_jobs.slow", func=slow, max_tries=2, timeout_seconds=1),
        JobDefinition(name="sample_jobs.enqueue_other", func=enqueue_other),
        JobDefinition(name="sample_jobs.stubborn", func=stubborn),
    ]


@engine.hookimpl
async def jobs_handle_event(event):
    handled.append({"id": event.id, "name": event.name, "payload": event.payload, "at": time.monotonic()})
    number = sum(1 for item in handled if item["id"] == event.id)
    if number <= fail_first.get("event", 0):
        raise RuntimeError(f"handler fails on purpose (attempt {number})")
