"""Category page benchmark: requests per second of the storefront category
page (24 products) of a 10,000-product catalog, beside a bare Quart endpoint,
both served by Hypercorn with the same settings.

Builds a fresh database (SQLite in a temporary folder; ``--postgres`` makes a
new database on the local PostgreSQL and drops it afterwards), imports the
catalog (10,000 products, 4 variants each) through the catalog importer, starts
``hypercorn engine.asgi:app`` and ``hypercorn bare_quart:app`` one after the
other on 127.0.0.1, checks the page really shows 24 products, and drives each
with ``wrk`` (or, when wrk is not installed, a bounded httpx asyncio loop) for
the same duration and connection count. Prints both rates and the ratio.

Usage: python bench/category_page.py [--products 10000] [--seconds 10]
           [--connections 16] [--workers 1] [--worker-class uvloop|asyncio]
           [--postgres] [--page /c/women]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("SHOPWRIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def build_catalog(url: str, products: int) -> None:
    from catalog_data import SIZES, prepare_catalog, records

    from engine.catalog.importer import import_source, records_source
    from engine.runtime import Runtime
    from engine.settings import load_settings

    settings = load_settings(config_path=os.devnull, environ={}, database_url=url, secret_key="bench-" + "x" * 24,
                             logging={"level": "ERROR"})
    runtime = Runtime(settings)
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


class Hypercorn:
    """One Hypercorn server in a subprocess, on the settings every run shares."""

    def __init__(self, app: str, env: dict[str, str], args: argparse.Namespace, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(args.workers),
                   "--worker-class", args.worker_class, "--keep-alive", "60", app]
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                        stderr=open(cwd / f"{app.split(':')[0]}.log", "w"))

    def wait(self, path: str) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_wrk(url: str, seconds: int, connections: int) -> tuple[float, str]:
    threads = max(1, min(2, connections))
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    p50 = re.search(r"^\s+50%\s+(\S+)$", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)$", out, re.M)
    return rate, f"p50 {p50.group(1) if p50 else '?'}, p99 {p99.group(1) if p99 else '?'}"


async def run_httpx(url: str, seconds: int, connections: int, max_requests: int = 500_000) -> tuple[float, str]:
    import httpx

    done = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline and done < max_requests:
                response = await client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {response.status_code}")
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.perf_counter() - started), "httpx load generator"


def measure(url: str, args: argparse.Namespace) -> tuple[float, str]:
    warm = min(2, args.seconds)
    if shutil.which("wrk"):
        run_wrk(url, warm, args.connections)
        return run_wrk(url, args.seconds, args.connections)
    asyncio.run(run_httpx(url, warm, args.connections))
    return asyncio.run(run_httpx(url, args.seconds, args.connections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-class", default="uvloop", choices=["uvloop", "asyncio"])
    parser.add_argument("--postgres", action="store_true", help="use a fresh database on the local PostgreSQL")
    parser.add_argument("--page", default="/c/women", help="the category page to measure")
    args = parser.parse_args()
    if args.seconds > 120 or args.connections > 256:
        raise SystemExit("keep the run bounded: --seconds <= 120, --connections <= 256")

    folder = Path(tempfile.mkdtemp(prefix="shopwright-bench-"))
    pg_name = None
    if args.postgres:
        pg_name = f"sw_bench_{uuid.uuid4().hex[:10]}"

        async def create() -> None:
            import asyncpg

            conn = await asyncpg.connect(PG_ADMIN)
            await conn.execute(f'CREATE DATABASE "{pg_name}"')
            await conn.close()

        asyncio.run(create())
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
    else:
        url = f"sqlite:///{folder / 'bench.sqlite'}"
    servers: list[Hypercorn] = []
    try:
        asyncio.run(build_catalog(url, args.products))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPWRIGHT_")}
        env.update(SHOPWRIGHT_CONFIG=os.devnull, SHOPWRIGHT_DATABASE_URL=url, SHOPWRIGHT_LOGGING__LEVEL="ERROR",
                   SHOPWRIGHT_SECRET_KEY="bench-" + "x" * 24, PYTHONPATH=str(HERE))
        results = {}
        for label, app, path in (("category page", "engine.asgi:app", args.page), ("bare Quart", "bare_quart:app", "/bare")):
            server = Hypercorn(app, env, args, folder)
            servers.append(server)
            server.wait(path)
            if label == "category page":
                import httpx

                body = httpx.get(server.url + path, timeout=10).text
                cards = body.count('class="product-card"')
                if cards != 24:
                    raise SystemExit(f"{path} shows {cards} products, expected 24")
            results[label] = measure(server.url + path, args)
            server.stop()
        tool = "wrk" if shutil.which("wrk") else "httpx"
        database = "PostgreSQL" if args.postgres else "SQLite"
        print(f"hypercorn: {args.workers} worker(s), {args.worker_class}; load: {tool}, {args.connections} "
              f"connections, {args.seconds} s; database: {database}; {os.cpu_count()} CPU(s)")
        for label, (rate, extra) in results.items():
            print(f"{label:<14} {rate:>9.1f} requests/s  ({extra})")
        ratio = results["category page"][0] / results["bare Quart"][0]
        print(f"ratio          {ratio:>9.3f}  (category page / bare Quart)")
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        if pg_name:
            async def drop() -> None:
                import asyncpg

                conn = await asyncpg.connect(PG_ADMIN)
                await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                await conn.close()

            asyncio.run(drop())


if __name__ == "__main__":
    main()
