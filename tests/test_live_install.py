"""A plugin and a theme ``pip install``ed while a 2-worker server runs are served
by both workers once enabled (activated) from the command line — no restart —
and disabling takes them away again. docs/plugins.md, "Installing while the store
runs", describes what this shows.

Real processes: ``shopwright serve --workers 2`` on a free port with a SQLite file
database and the default refresh interval, the ``shopwright`` command for every
change, and pip (``--no-deps --no-build-isolation``) installing copies of
tests/support/live_discount and tests/support/live_theme into this environment;
they are uninstalled afterwards, whatever happens. Which worker answered is told
by the always-enabled ``worker_probe`` plugin (tests/support/worker_probe), which
names the worker's process id in every storefront page's Content-Security-Policy.
Every wait polls for its condition, with a generous bound for a busy machine.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from engine.testing.checkout import free_port

pytestmark = pytest.mark.venv_writer  # pip-installs into the running environment

SUPPORT = Path(__file__).resolve().parent / "support"
DISTRIBUTIONS = ("shopwright-live-discount", "shopwright-theme-live")
WORKER = re.compile(r"https://worker-(\d+)\.probe\.test")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DISCOUNT = "Installed while running <small>(live_discount)</small>"
THEME = '<p class="live-theme">Theme installed while running</p>'
#: how long any one condition may take to hold (the refresh interval is 2 s)
BOUND = 60.0
BATCH = 6

SEED = """
import asyncio
from engine.runtime import Runtime
from engine.settings import load_settings
from engine.testing.checkout import add_product

async def main():
    runtime = Runtime(load_settings())
    await runtime.start(background=False, jobs=False)
    try:
        await add_product(runtime, "LIVE-TEE", price=2500, stock=100, slug="live-tee")
    finally:
        await runtime.stop()

asyncio.run(main())
"""


def pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def install(tmp_path):
    """``install(folder)``: pip-install a copy of a tests/support distribution into
    this environment; every distribution the test may install is removed at the
    end (and before, should an interrupted run have left one)."""
    pip("uninstall", "--yes", "--quiet", *DISTRIBUTIONS)

    def run(name: str) -> None:
        copy = tmp_path / "build" / name
        shutil.copytree(SUPPORT / name, copy)
        pip("install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", str(copy))

    try:
        yield run
    finally:
        pip("uninstall", "--yes", "--quiet", *DISTRIBUTIONS)


class Shop:
    """The server process and the ``shopwright`` command, sharing one environment."""

    def __init__(self, folder: Path) -> None:
        site = folder / "site"
        info = site / "shopwright_worker_probe-0.0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shopwright-worker-probe\nVersion: 0.0.1\n")
        (info / "entry_points.txt").write_text("[shopwright.plugins]\nworker_probe = worker_probe\n")
        self.folder = folder
        self.base = f"http://127.0.0.1:{free_port()}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SHOPWRIGHT_")},
            "SHOPWRIGHT_CONFIG": os.devnull,
            "SHOPWRIGHT_DATABASE_URL": f"sqlite:///{folder / 'shop.sqlite'}",
            "SHOPWRIGHT_SECRET_KEY": "live-install-secret-0123456789abcdef",
            "SHOPWRIGHT_LOGGING__LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(site), str(SUPPORT), os.environ.get("PYTHONPATH", "")]),
        }
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=120)
        if check:
            assert done.returncode == 0, f"shopwright {' '.join(args)}: {done.stdout}{done.stderr}"
        return done

    def start(self) -> None:
        self.cli("migrate")
        subprocess.run([sys.executable, "-c", SEED], cwd=self.folder, env=self.env, check=True, timeout=120)
        self.cli("plugins", "enable", "worker_probe")
        port = self.base.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", port, "--workers", "2"],
            cwd=self.folder, env=self.env, stdout=open(self.folder / "server.log", "w"), stderr=subprocess.STDOUT)

    def log(self) -> str:
        return (self.folder / "server.log").read_text()[-3000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


@pytest.fixture
def shop(tmp_path):
    instance = Shop(tmp_path)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


async def until(shop: Shop, what: str, check):
    """Poll ``await check()`` until it returns a true value; fail after :data:`BOUND`."""
    deadline = time.monotonic() + BOUND
    while True:
        assert shop.process.poll() is None, f"the server exited:\n{shop.log()}"
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {BOUND} s\n{shop.log()}"
        await asyncio.sleep(0.05)


async def pages(client: httpx.AsyncClient, url: str) -> list[tuple[int, str]]:
    """:data:`BATCH` concurrent requests for ``url``, each on a new connection:
    ``(worker pid, page)`` of each answer."""
    async def one() -> tuple[int, str]:
        response = await client.get(url)
        assert response.status_code == 200, response.text[:500]
        return int(WORKER.search(response.headers["Content-Security-Policy"]).group(1)), response.text

    return await asyncio.gather(*(one() for _ in range(BATCH)))


async def served_by_both(shop: Shop, client: httpx.AsyncClient, url: str, workers: set[int], effect: str,
                         present: bool, what: str) -> float:
    """Poll ``url`` until every worker has answered with ``effect`` present (or
    absent); returns the seconds it took."""
    started = time.monotonic()
    seen: set[int] = set()

    async def check() -> bool:
        for pid, page in await pages(client, url):
            assert pid in workers, f"an answer from an unknown worker {pid}"
            if (effect in page) == present:
                seen.add(pid)
        return seen == workers

    await until(shop, what, check)
    return time.monotonic() - started


async def test_a_plugin_and_a_theme_installed_while_running_reach_both_workers(shop, install):
    limits = httpx.Limits(max_keepalive_connections=0)  # a new connection per request: either worker may answer
    async with httpx.AsyncClient(base_url=shop.base, timeout=30, limits=limits) as shopper, \
            httpx.AsyncClient(base_url=shop.base, timeout=30, limits=limits) as visitor:
        async def healthy() -> bool:
            try:
                return (await visitor.get("/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        await until(shop, "the server answers", healthy)
        workers: set[int] = set()

        async def both_workers() -> bool:
            workers.update(pid for pid, _ in await pages(visitor, "/"))
            return len(workers) == 2

        await until(shop, "two workers answer", both_workers)

        # A shopper's cart, shown by the storefront's cart page (priced on each change).
        product = await shopper.get("/p/live-tee")
        added = await shopper.post("/cart", data={"csrf_token": CSRF.search(product.text).group(1),
                                                  "sku": "LIVE-TEE", "quantity": "1"})
        assert added.status_code in (200, 302, 303), added.text[:500]
        assert all("LIVE-TEE" in page and DISCOUNT not in page for _, page in await pages(shopper, "/cart"))

        # ---- the plugin: not installed yet, then installed while the server runs, then enabled
        missing = shop.cli("plugins", "enable", "live_discount", check=False)
        assert missing.returncode == 1 and "no plugin named 'live_discount' is installed in this environment" \
            in missing.stderr, missing.stdout + missing.stderr
        install("live_discount")
        enabled = shop.cli("plugins", "enable", "live_discount")
        assert enabled.stdout == "enabled live_discount\n"
        took = await served_by_both(shop, shopper, "/cart", workers, DISCOUNT, True, "the discount in both workers")
        print(f"plugin served by both workers {took:.2f} s after `plugins enable` returned")

        # The same distribution's broken plugin is reported by both workers (each searched the
        # environment when the state changed), by the command and by the admin API, on one line.
        refused = shop.cli("plugins", "enable", "live_misspelt", check=False)
        assert refused.returncode == 1 and "did you mean 'pricing_adjustments'" in refused.stderr
        for _ in range(BATCH):
            errors = (await visitor.get("/readyz")).json()["plugins"]["errors"]
            assert "did you mean 'pricing_adjustments'" in errors["live_misspelt"], errors
        listing = shop.cli("plugins", "list").stdout.splitlines()
        row = next(line for line in listing if line.startswith("live_misspelt "))
        assert "ERROR: invalid hook implementation" in row and "did you mean 'pricing_adjustments'" in row
        assert [line for line in listing if line.startswith("live_discount ")][0].split()[2:4] == ["yes", "yes"]
        token = shop.cli("tokens", "create", "--name", "live", "--scopes", "all").stdout.strip().splitlines()[-1]
        items = (await visitor.get("/api/v1/admin/plugins", headers={"Authorization": f"Bearer {token}"})).json()
        by_name = {item["name"]: item for item in items["items"]}
        assert by_name["live_misspelt"]["error"] == errors["live_misspelt"] and by_name["live_discount"]["active"]

        # A plugin with routes: enabled, with the note that a running server needs a restart for them.
        routes = shop.cli("plugins", "enable", "live_routes")
        assert "note: live_routes adds web routes (lifecycle_blueprints)" in routes.stdout
        assert (await visitor.get("/live-routes/ping")).status_code == 404
        shop.cli("plugins", "disable", "live_routes")

        shop.cli("plugins", "disable", "live_discount")
        await served_by_both(shop, shopper, "/cart", workers, DISCOUNT, False, "the discount gone from both workers")
        assert all(DISCOUNT not in page for _, page in await pages(shopper, "/cart"))

        # ---- the theme: installed while the server runs, then activated
        assert all(THEME not in page for _, page in await pages(visitor, "/"))
        install("live_theme")
        assert shop.cli("themes", "activate", "live").stdout == "active theme: live\n"
        took = await served_by_both(shop, visitor, "/", workers, THEME, True, "the theme in both workers")
        print(f"theme served by both workers {took:.2f} s after `themes activate` returned")
        assert all('data-theme="live"' in page for _, page in await pages(visitor, "/"))
        shop.cli("themes", "activate", "default")
        await served_by_both(shop, visitor, "/", workers, THEME, False, "the theme gone from both workers")
