"""Core test configuration. Fixtures come from ``engine.testing`` (the pytest11 plugin).
Here: the private Redis of the outage tests (jobs, storefront), and the module
``account_test_fixtures`` (tests/accounts/fixtures.py: sign-up, sign-in and form
helpers, imported by the account, security and storefront tests)."""
from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.testing import service_missing

if "account_test_fixtures" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("account_test_fixtures",
                                                   Path(__file__).parent / "accounts" / "fixtures.py")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["account_test_fixtures"] = _module
    _spec.loader.exec_module(_module)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test alone, on a free port, that the test may stop
    and start again (same port; no persistence unless asked: ``stop(keep_data=True)``)."""

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

    def stop(self, keep_data: bool = False) -> None:
        """Stop the server; with ``keep_data`` it first writes its data to its
        folder, and the next :meth:`start` loads it (a Redis run with persistence)."""
        if self.process is not None and self.process.poll() is None:
            if keep_data:
                with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                    sock.sendall(b"SAVE\r\n")
                    assert sock.recv(16).startswith(b"+OK"), "redis-server did not save"
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
def cli_env(tmp_path) -> dict:
    """Environment for running ``shopwright`` as a subprocess against a fresh SQLite file."""
    return {
        "SHOPWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "SHOPWRIGHT_SECRET_KEY": "cli-test-secret-key-0123456789",
        "SHOPWRIGHT_CONFIG": os.devnull,
    }
