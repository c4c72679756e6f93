"""Fixtures for the job tests: fresh sample plugins, a burst worker, a private Redis."""
from __future__ import annotations

import asyncio
import importlib.util
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from engine.testing import service_missing

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test alone, on a free port, that the test may stop
    and start again (same port, no persistence)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@pytest.fixture
def private_redis(tmp_path):
    """A started :class:`PrivateRedis`; killed after the test."""
    if shutil.which("redis-server") is None:
        service_missing("redis-server (binary)", FileNotFoundError("redis-server not on PATH"))
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


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
