"""Fixtures for the job tests: fresh sample plugins, a burst worker (the private
Redis of outage tests is in tests/conftest.py)."""
from __future__ import annotations

import asyncio
import importlib.util
import uuid
from pathlib import Path

import pytest

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def load_plugin():
    """``load_plugin("sample_jobs")``: a fresh copy of ``plugins/<name>.py`` (empty records)."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"{name}_{uuid.uuid4().hex[:8]}", PLUGINS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def burst():
    """``await burst(runtime)``: run an arq burst worker over the runtime's queue
    until it is empty; returns the worker (``jobs_complete``, ``jobs_retried``,
    ``jobs_failed``)."""
    from engine.jobs.arq_queue import make_worker

    async def run(runtime, timeout: float = 30):
        worker = make_worker(runtime, burst=True)
        try:
            await asyncio.wait_for(worker.main(), timeout)
        finally:
            await worker.close()
        return worker

    return run


@pytest.fixture
def make_jobs_runtime(make_runtime):
    """``make_runtime`` with every core default but event delivery disabled, so a
    test sees its own jobs and event handlers only (other defaults' jobs are
    still registered, and dropped, like any disabled plugin's)."""
    import importlib

    from engine.plugins import DEFAULT_PLUGINS

    names = [importlib.import_module(path).MANIFEST.name for path in DEFAULT_PLUGINS]
    disabled = [name for name in names if name != "core_events"]

    async def build(*args, settings: dict | None = None, **overrides):
        settings = dict(settings or {})
        settings["plugins"] = {**settings.get("plugins", {}), "disabled_defaults": disabled}
        return await make_runtime(*args, settings=settings, **overrides)

    return build
