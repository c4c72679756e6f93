"""A test plugin for the worker-process tests (tests/jobs/test_worker_process.py).

Jobs write one line each to ``$JOB_PROBE_DIR/log`` (both the test and the
worker subprocess see it), so a test can tell how often a job started and
finished:

- ``job_probe.quick(key)``: ``done <key>``;
- ``job_probe.slow(key)`` (one try only, so a hand-back that counted as a try
  would stop it from ever running again): ``start <key> <try>``, then waits
  until the file ``$JOB_PROBE_DIR/release-<key>`` exists, then ``done <key>``.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

from engine import PluginManifest, hookimpl
from engine.protocols import JobDefinition

NAME = "job_probe"
MANIFEST = PluginManifest(name=NAME, title="Job probe (tests)", version="0.0.1", engine=">=0.1,<1")


def _dir() -> Path:
    return Path(os.environ["JOB_PROBE_DIR"])


def _record(line: str) -> None:
    with open(_dir() / "log", "a") as log:
        log.write(line + "\n")


async def quick(ctx, key: str) -> None:
    _record(f"done {key}")


async def slow(ctx, key: str) -> None:
    _record(f"start {key} {ctx['job_try']}")
    release = _dir() / f"release-{key}"
    while not release.exists():  # a condition the test sets, polled
        await asyncio.sleep(0.02)
    _record(f"done {key}")


@hookimpl
def jobs_register():
    return [JobDefinition(name=f"{NAME}.quick", func=quick),
            JobDefinition(name=f"{NAME}.slow", func=slow, max_tries=1, timeout_seconds=120)]
