"""Our storefront beside django-oscar, same machine, same load, in one run.

1. Creates (or reuses) a virtualenv for Oscar outside the repository
   (``~/.cache/shopwright-bench/oscar-venv``, or ``--venv``) and installs the
   pinned packages in ``OSCAR_PACKAGES`` from the package registry.
2. Builds the Oscar site in ``bench/oscar_site/`` on a fresh SQLite database
   in a temporary folder and loads the catalog of our benchmarks into it
   (``bench/oscar_site/load_catalog.py``: same categories, titles, prices and
   stock; 4 child products per parent, or ``--standalone``), then builds
   Oscar's search index (Whoosh: Oscar lists category pages through Haystack).
3. Builds our catalog (``--products``, 10,000 by default, 4 variants each)
   with the harness,
   exactly as ``bench/pages.py`` does.
4. Drives each page with the same ``wrk`` command line (1 thread,
   ``--connections``, ``--seconds``, after a 2 s warm-up):

   - bare Quart endpoint (``bench/bare_quart.py``), before and after the pages
   - ours: ``/c/women`` and one product page, ``engine.asgi:app`` on Hypercorn
   - Oscar: the ``women`` category page (24 of 3,452 products, its leaf
     categories' products included) and the same product's page, Django on
     gunicorn (sync workers)

   Each page is checked first: both category pages must list 24 products.

The ``wrk`` command line is the harness's, whose ``--timeout 60s`` matters
here: one Oscar worker answers a category page in about half a second, so
with 16 connections most answers take longer than wrk's default 2 s timeout,
which wrk would leave out of the latency figures. After the warm-up, one
request waits until the server has answered what the warm-up left queued (a
sync gunicorn worker goes on answering it). Ratios are to the mean of the two
bare Quart runs; CPU is in cores used by the server and by wrk (it needs
psutil in our virtualenv).

Reading the figures: our engine serves anonymous pages from its page cache
unless ``--no-cache`` is given; Oscar has no page cache by default, so
``--no-cache`` compares the render paths. Oscar's category page is a
Haystack search, here on Whoosh (pure Python, as in Oscar's sandbox site;
Oscar's docs recommend Solr for production); its product page does not
search. gunicorn's sync worker answers one request at a time and closes
each connection; Hypercorn keeps connections alive.

Usage: python bench/compare_oscar.py [--seconds 10] [--connections 16]
           [--workers 1] [--products 10000] [--standalone] [--no-cache]
           [--venv ~/.cache/shopwright-bench/oscar-venv]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (HERE, BenchDatabase, Hypercorn, Result, build_catalog, free_port,  # noqa: E402
                     load_average, measure, print_results, server_env, WRK_TIMEOUT)

OSCAR_SITE = HERE / "oscar_site"
DEFAULT_VENV = Path.home() / ".cache" / "shopwright-bench" / "oscar-venv"
OSCAR_PACKAGES = ["django-oscar==4.2.1", "Django==5.2.19", "django-treebeard==7.0.3", "sorl-thumbnail==12.11.0",
                  "Whoosh==2.7.4", "gunicorn==23.0.0"]


# ------------------------------------------------------------------ Oscar
def install_oscar(venv: Path) -> str:
    """Create ``venv`` if needed and install the pinned packages; their versions."""
    if not (venv / "bin" / "python").exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                          *OSCAR_PACKAGES], capture_output=True, text=True)
    if pip.returncode:
        raise SystemExit(f"pip install failed:\n{pip.stdout}{pip.stderr}")
    names = [re.split(r"[=<>]", spec)[0] for spec in OSCAR_PACKAGES]
    script = "import sys, importlib.metadata as m; print(', '.join(f'{n} {m.version(n)}' for n in sys.argv[1:]))"
    return subprocess.run([str(venv / "bin" / "python"), "-c", script, *names],
                          check=True, capture_output=True, text=True).stdout.strip()


def oscar_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(OSCAR_BENCH_DIR=str(data), DJANGO_SETTINGS_MODULE="settings", PYTHONWARNINGS="ignore")
    return env


def load_oscar(venv: Path, data: Path, products: int, standalone: bool) -> dict[str, str]:
    """Migrate and load the Oscar site; ``{"category": path, "product": path, "product_slug": slug}``."""
    data.mkdir()
    command = [str(venv / "bin" / "python"), "load_catalog.py", str(products)] + (["--standalone"] if standalone else [])
    subprocess.run(command, cwd=OSCAR_SITE, env=oscar_env(data), check=True, timeout=600)
    return json.loads((data / "catalog.json").read_text())


class Gunicorn(Hypercorn):
    """The Oscar site on gunicorn (sync workers) in a subprocess; CPU, RSS,
    readiness and stopping work as for :class:`harness.Hypercorn`."""

    def __init__(self, venv: Path, data: Path, workers: int, cwd: Path) -> None:
        # the same attributes as Hypercorn.__init__ sets, for another command line
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                   "--chdir", str(OSCAR_SITE), "wsgi:application"]
        self.log = open(cwd / f"gunicorn-{self.port}.log", "w")
        self.process = subprocess.Popen(command, cwd=cwd, env=oscar_env(data), stdout=subprocess.DEVNULL,
                                        stderr=self.log)


# ------------------------------------------------------------------ pages
def fetch(url: str, timeout: float = 30) -> str:
    """The page at ``url``, which must answer 200 (no redirect)."""
    import httpx

    response = httpx.get(url, timeout=timeout)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response.text


def check_category(url: str, card: str) -> None:
    cards = fetch(url).count(card)
    if cards != 24:
        raise SystemExit(f"{url} shows {cards} products, expected 24")


# ------------------------------------------------------------------ load
def measure_bare(env: dict[str, str], args, folder: Path, servers: list) -> Result:
    bare = Hypercorn("bare_quart:app", env, args.workers, "uvloop", folder)
    servers.append(bare)
    bare.wait("/bare")
    result = measure(bare.url + "/bare", args.seconds, args.connections, server=bare)
    bare.stop()
    return result


def measure_ours(env: dict[str, str], args, folder: Path, servers: list, slug: str) -> tuple[dict[str, Result], list]:
    shop = Hypercorn("engine.asgi:app", env, args.workers, "uvloop", folder)
    servers.append(shop)
    shop.wait("/healthz")
    check_category(shop.url + "/c/women", 'class="product-card"')
    fetch(f"{shop.url}/p/{slug}")
    results = {"ours category": measure(shop.url + "/c/women", args.seconds, args.connections, server=shop),
               "ours product": measure(f"{shop.url}/p/{slug}", args.seconds, args.connections, server=shop)}
    rss = shop.rss_mb()
    shop.stop()
    return results, rss


def measure_oscar(venv: Path, data: Path, pages: dict[str, str], args, folder: Path,
                  servers: list) -> tuple[dict[str, Result], list]:
    oscar = Gunicorn(venv, data, args.workers, folder)
    servers.append(oscar)
    oscar.wait(pages["product"])
    check_category(oscar.url + pages["category"], '<article class="product_pod">')
    load = dict(seconds=args.seconds, connections=args.connections, server=oscar)
    results = {"oscar category": measure(oscar.url + pages["category"], **load),
               "oscar product": measure(oscar.url + pages["product"], **load)}
    rss = oscar.rss_mb()
    oscar.stop()
    return results, rss


# ------------------------------------------------------------------ main
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes, for each server")
    parser.add_argument("--standalone", action="store_true", help="Oscar: one standalone product per product")
    parser.add_argument("--no-cache", action="store_true", help="turn our engine's caches off")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the Oscar virtualenv (made if missing)")
    args = parser.parse_args()
    if args.seconds > 120 or args.connections > 256 or args.workers > 8 or args.products > 50_000:
        raise SystemExit("keep the run bounded: --seconds <= 120, --connections <= 256, --workers <= 8, "
                         "--products <= 50000")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    try:
        import psutil  # noqa: F401  (the harness measures server CPU with it)
    except ImportError:
        print("psutil is not installed: the server CPU column reads 0.00")
    return args


def report(args, results: dict[str, Result], rss: dict[str, list], oscar: str) -> None:
    print(f"servers: {args.workers} worker(s) each; ours on Hypercorn (uvloop, keep-alive 60), Oscar on gunicorn "
          f"(sync); wrk -t1 -c{args.connections} -d{args.seconds}s --timeout {WRK_TIMEOUT} (after a 2 s warm-up); "
          f"database: SQLite; our caches: {'off' if args.no_cache else 'on'}; Oscar: {oscar}; "
          f"load average {load_average()} after the run")
    print_results(results)
    for name, sizes in rss.items():
        if sizes:
            print(f"{name} worker RSS after the run: {', '.join(f'{size:.0f} MB' for size in sizes)}")


def main() -> None:
    args = parse_args()
    folder = Path(tempfile.mkdtemp(prefix="shopwright-oscar-"))
    database = BenchDatabase(folder, postgres=False)
    servers: list[Hypercorn] = []
    try:
        started = time.perf_counter()
        versions = install_oscar(args.venv)
        print(f"oscar venv {args.venv}: {versions} ({time.perf_counter() - started:.1f} s)")
        started = time.perf_counter()
        pages = load_oscar(args.venv, folder / "oscar", args.products, args.standalone)
        print(f"oscar site ready in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        asyncio.run(build_catalog(database.url, args.products))
        print(f"our site ready in {time.perf_counter() - started:.1f} s")

        env = server_env(database.url, **({"SHOPWRIGHT_CACHE__ENABLED": "false"} if args.no_cache else {}))
        print(f"machine: {os.cpu_count()} CPU(s), load average {load_average()} before the run")
        results = {"bare Quart (before)": measure_bare(env, args, folder, servers)}
        ours, our_rss = measure_ours(env, args, folder, servers, pages["product_slug"])
        oscar, oscar_rss = measure_oscar(args.venv, folder / "oscar", pages, args, folder, servers)
        results.update(ours)
        results.update(oscar)
        results["bare Quart (after)"] = measure_bare(env, args, folder, servers)
        structure = "standalone products" if args.standalone else "parent + 4 child products"
        report(args, results, {"ours": our_rss, "oscar": oscar_rss}, f"{structure}, Whoosh search index")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
