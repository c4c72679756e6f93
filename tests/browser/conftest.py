"""A real server for browser tests: Hypercorn in a subprocess on a free port,
SQLite seeded with the sample catalog, and Debian's Chromium through
Playwright. Screenshots go to ``test-artifacts/browser/``.

Skipped when Playwright or Chromium is missing, unless
``SHOPWRIGHT_REQUIRE_SERVICES=1`` (CI), which makes that a failure.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from engine.testing import service_missing

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("SHOPWRIGHT_CHROMIUM", "/usr/bin/chromium")
BIN = Path(sys.executable).parent

SEED = textwrap.dedent("""
    import asyncio
    from engine.runtime import Runtime
    from engine.settings import load_settings
    from engine.testing.themes import seed_sample_catalog

    async def main():
        runtime = Runtime(load_settings())
        await runtime.start(background=False, jobs=False)
        try:
            await seed_sample_catalog(runtime)
        finally:
            await runtime.stop()

    asyncio.run(main())
""")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium against a real server (deselect: -m 'not browser')")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SHOPWRIGHT_")},
            "SHOPWRIGHT_CONFIG": os.devnull,
            "SHOPWRIGHT_DATABASE_URL": f"sqlite:///{workdir / 'shop.sqlite'}",
            "SHOPWRIGHT_SECRET_KEY": "browser-tests-secret-key-0123456789",
            "SHOPWRIGHT_PLUGINS__REFRESH_INTERVAL_SECONDS": "0.5",
            "SHOPWRIGHT_LOGGING__LEVEL": "WARNING",
        }
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "shopwright"), *args], cwd=self.workdir, env=self.env, input=stdin,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start(self) -> None:
        self.cli("migrate")
        subprocess.run([sys.executable, "-c", SEED], cwd=self.workdir, env=self.env, check=True, timeout=120)
        log = open(self.workdir / "server.log", "w")
        self.process = subprocess.Popen(
            [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "engine.asgi:app"],
            cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited: " + (self.workdir / "server.log").read_text()[-2000:])
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start: " + (self.workdir / "server.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def activate(self, theme: str) -> None:
        """``shopwright themes activate`` in another process; waits until the server shows it."""
        self.cli("themes", "activate", theme)
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            if f'data-theme="{theme}"' in httpx.get(self.base_url + "/", timeout=5).text:
                return
            time.sleep(0.1)
        raise AssertionError(f"theme {theme} not active within 2 s")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    instance = Server(tmp_path_factory.mktemp("browser-shop"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API keeps an event loop running while it
    is open, so it must be closed before async tests in other modules run."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        service_missing("the playwright package", exc)
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium at {CHROMIUM}", FileNotFoundError(CHROMIUM))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield instance
        instance.close()


@pytest.fixture
def screenshot():
    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server of the test module's own, for tests that change what every
    page shows (the active theme, the plugins)."""
    instance = Server(tmp_path_factory.mktemp("browser-own-shop"))
    instance.start()
    yield instance
    instance.stop()
