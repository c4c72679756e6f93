"""Shared pieces of the HTTP benchmarks: a fresh database with the synthetic
catalog, Hypercorn servers in subprocesses, and ``wrk`` runs with the CPU
time each side used.

Everything binds 127.0.0.1 and every run is bounded in time. PostgreSQL
databases made here get a ``sw_bench_`` name and are dropped afterwards.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("SHOPWRIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-" + "x" * 24
WRK_TIMEOUT = "60s"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# ------------------------------------------------------------------ database
class BenchDatabase:
    """A fresh SQLite file (in ``folder``) or PostgreSQL database."""

    def __init__(self, folder: Path, postgres: bool) -> None:
        self.postgres = postgres
        self.name = f"sw_bench_{uuid.uuid4().hex[:10]}" if postgres else None
        self.url = (PG_ADMIN.rsplit("/", 1)[0] + "/" + self.name) if postgres else f"sqlite:///{folder / 'bench.sqlite'}"

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def create(self) -> None:
        if self.postgres:
            asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        if self.postgres:
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    @property
    def label(self) -> str:
        return "PostgreSQL" if self.postgres else "SQLite"


def settings_for(url: str, **overrides):
    from engine.settings import load_settings

    return load_settings(config_path=os.devnull, environ={}, database_url=url, secret_key=SECRET,
                         logging={"level": "ERROR"}, **overrides)


async def build_catalog(url: str, products: int) -> None:
    """Migrate ``url`` and import ``products`` products (4 variants each)."""
    from catalog_data import SIZES, prepare_catalog, records

    from engine.catalog.importer import import_source, records_source
    from engine.runtime import Runtime

    runtime = Runtime(settings_for(url))
    await runtime.connect()
    await runtime.migrate(echo=lambda *_: None)
    await runtime.start(background=False, jobs=False)
    try:
        await prepare_catalog(runtime)
        started = time.perf_counter()
        await import_source(runtime, records_source(records(products * len(SIZES))))
        print(f"catalog: {products} products imported in {time.perf_counter() - started:.1f} s")
    finally:
        await runtime.stop()


def server_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPWRIGHT_")}
    env.update(SHOPWRIGHT_CONFIG=os.devnull, SHOPWRIGHT_DATABASE_URL=url, SHOPWRIGHT_LOGGING__LEVEL="ERROR",
               SHOPWRIGHT_SECRET_KEY=SECRET, PYTHONPATH=str(HERE),
               # one client IP sends every request: the API's per-IP rate limit would answer 429
               SHOPWRIGHT_API__RATE_LIMIT_PER_IP="0", SHOPWRIGHT_API__RATE_LIMIT_PER_TOKEN="0")
    env.update(extra)
    return env


# ------------------------------------------------------------------ servers
def cpu_seconds(processes: list) -> float:
    """User + system CPU seconds of the psutil ``processes`` (ended ones count 0)."""
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except Exception:
            pass
    return total


class Hypercorn:
    """One Hypercorn server (master + workers) in a subprocess, on the
    command line every measured app shares."""

    def __init__(self, app: str, env: dict[str, str], workers: int, worker_class: str, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                   "--worker-class", worker_class, "--keep-alive", "60", app]
        self.log = open(cwd / f"{app.split(':')[0]}-{self.port}.log", "w")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=self.log)

    def wait(self, path: str) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited with {self.process.returncode}; see {self.log.name}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("server did not start")

    def processes(self) -> list:
        try:
            import psutil
        except ImportError:
            return []
        # Scanning for children can trip over an unrelated process that ends
        # meanwhile: try again rather than count no CPU at all.
        for _ in range(10):
            try:
                parent = psutil.Process(self.process.pid)
                return [parent, *parent.children(recursive=True)]
            except psutil.Error:
                if self.process.poll() is not None:
                    return []
                time.sleep(0.05)
        return []

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.processes())

    def rss_mb(self) -> list[float]:
        """Resident size of each worker process (the master excluded when there are workers)."""
        procs = self.processes()
        workers = procs[1:] or procs
        sizes = []
        for proc in workers:
            try:
                sizes.append(proc.memory_info().rss / 2**20)
            except Exception:
                pass
        return sizes

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class JobWorkers:
    """``count`` ``shopwright worker`` processes (arq on Redis) in subprocesses."""

    def __init__(self, env: dict[str, str], count: int, cwd: Path) -> None:
        self.log = open(cwd / "workers.log", "w")
        self.processes_ = [subprocess.Popen([str(BIN / "shopwright"), "worker"], cwd=cwd, env=env,
                                            stdout=subprocess.DEVNULL, stderr=self.log) for _ in range(count)]

    def cpu_seconds(self) -> float:
        try:
            import psutil
        except ImportError:
            return 0.0
        processes = []
        for process in self.processes_:
            try:
                processes.append(psutil.Process(process.pid))
            except psutil.Error:
                pass
        return cpu_seconds(processes)

    def stop(self) -> None:
        for process in self.processes_:
            if process.poll() is None:
                process.terminate()
        for process in self.processes_:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()


# ------------------------------------------------------------------ load
@dataclass
class Result:
    rate: float
    p50: str
    p99: str
    server_cpu: float  # CPU seconds per second of the run (1.0 = one core busy)
    load_cpu: float
    timeouts: int = 0  # answers slower than WRK_TIMEOUT (left out of the latencies by wrk)

    def describe(self) -> str:
        return (f"{self.rate:>9.1f} req/s  p50 {self.p50:>8}  p99 {self.p99:>8}  "
                f"cpu server {self.server_cpu:.2f} / wrk {self.load_cpu:.2f}")


def run_wrk(url: str, seconds: int, connections: int, threads: int = 1, headers: dict[str, str] | None = None,
            server: Hypercorn | None = None, script: Path | None = None) -> Result:
    """``wrk --latency`` against ``url``; fails on any non-2xx/3xx answer.
    The timeout is long (:data:`WRK_TIMEOUT`) so that slow servers' answers
    count in the latencies instead of being dropped as wrk's timeouts.
    ``script``: a wrk Lua script (e.g. one that makes every request's path)."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", WRK_TIMEOUT,
               "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    before_server = server.cpu_seconds() if server else 0.0
    before_children = os.times()
    started = time.monotonic()
    out = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 90).stdout
    elapsed = time.monotonic() - started
    after_children = os.times()
    server_cpu = ((server.cpu_seconds() - before_server) / elapsed) if server else 0.0
    load_cpu = ((after_children.children_user + after_children.children_system)
                - (before_children.children_user + before_children.children_system)) / elapsed
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise SystemExit(f"wrk failed:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    p50 = re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M)
    timeouts = re.search(r"timeout (\d+)", out)
    return Result(float(match.group(1)), p50.group(1) if p50 else "?", p99.group(1) if p99 else "?",
                  server_cpu, load_cpu, int(timeouts.group(1)) if timeouts else 0)


def measure(url: str, seconds: int, connections: int, threads: int = 1, headers: dict[str, str] | None = None,
            server: Hypercorn | None = None, script: Path | None = None) -> Result:
    """A 2-second warm-up, then the measured run.

    A server that answers one request at a time (a sync WSGI worker) is still
    answering what the warm-up left queued when it ends; one more request,
    queued behind them, waits for that before the measured run starts."""
    import httpx

    run_wrk(url, min(2, seconds), connections, threads, headers, script=script)
    httpx.get(url, headers=headers, timeout=300)
    result = run_wrk(url, seconds, connections, threads, headers, server, script)
    if result.timeouts:
        print(f"warning: {result.timeouts} requests to {url} took longer than {WRK_TIMEOUT} "
              "(left out of the latencies)")
    return result


def print_results(results: dict[str, Result]) -> None:
    """One line per measured page with its ratio to the bare Quart baseline
    (the mean of the results whose label starts with "bare")."""
    bare = [result.rate for label, result in results.items() if label.startswith("bare")]
    baseline = sum(bare) / len(bare)
    for label, result in results.items():
        ratio = "" if label.startswith("bare") else f"  ratio {result.rate / baseline:.3f}"
        print(f"{label:<20} {result.describe()}{ratio}")
    print(f"bare Quart baseline  {baseline:.1f} req/s (mean of before and after)")
