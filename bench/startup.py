"""Start-up time of the app with every installed plugin on the embedded default.

Measures, in fresh processes (so imports count):
  1. cold start: interpreter start -> imports -> create_app() -> startup hooks done
  2. serve: `shopwright serve` launched -> first 200 from /healthz
  3. the command line: `shopwright --help` (imports every installed plugin to list the
     commands they add) and `shopwright migrate --help` (an engine command: no plugin imported)

Usage: python bench/startup.py [--runs 5] [--only cli]
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

COLD = """
import asyncio, time
t0 = time.perf_counter()
from engine.app import create_app
app = create_app()
async def main():
    async with app.test_app():
        pass
asyncio.run(main())
print(len(app.runtime.host.installed), time.perf_counter() - t0)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["cli"], default=None, help="Measure the command line only.")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="sw-bench-")
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite",
           "SHOPWRIGHT_CONFIG": os.devnull, "SHOPWRIGHT_LOGGING__LEVEL": "ERROR"}
    env.pop("SHOPWRIGHT_REDIS_URL", None)
    if args.only == "cli":
        cli_figures(env, args.runs)
        return
    subprocess.run([sys.executable, "-m", "engine.cli", "migrate"], env=env, check=True, capture_output=True)
    for name in ("payments_stripe", "payments_paypal", "shipping_rates", "erp_sync"):
        subprocess.run([sys.executable, "-m", "engine.cli", "plugins", "enable", name], env=env, capture_output=True)

    cold, wall, plugins = [], [], 0
    for _ in range(args.runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", COLD], env=env, check=True, capture_output=True, text=True).stdout
        wall.append(time.perf_counter() - started)
        plugins, inside = out.split()
        cold.append(float(inside))

    serve = []
    for _ in range(args.runs):
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = started + 30
            while time.perf_counter() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.01)
            serve.append(time.perf_counter() - started)
        finally:
            proc.terminate()
            proc.wait(10)

    print(f"plugins installed (core defaults included): {plugins}")
    print(f"create_app + startup, inside the process: median {statistics.median(cold):.3f} s")
    print(f"whole process (interpreter, imports, app, startup): median {statistics.median(wall):.3f} s, max {max(wall):.3f} s")
    print(f"`shopwright serve` to first /healthz 200: median {statistics.median(serve):.3f} s, max {max(serve):.3f} s")
    cli_figures(env, args.runs)


def cli_figures(env: dict, runs: int) -> None:
    for label, argv in (("`shopwright --help`", ["--help"]), ("`shopwright migrate --help`", ["migrate", "--help"])):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "engine.cli", *argv], env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        print(f"{label}: median {statistics.median(times):.3f} s, max {max(times):.3f} s")


if __name__ == "__main__":
    main()
