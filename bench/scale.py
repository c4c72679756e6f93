"""The store at 10,000 / 100,000 (/ 1,000,000) products, beside bare Quart.

For each database (SQLite, PostgreSQL) and catalog size: a fresh database,
the catalog of ``bench/scale_data.py`` (20 categories, 4 variants a product,
attributes material / organic / fit, options colour / size, varied words)
written to a CSV file and imported with ``shopwright import products`` in a
subprocess (wall time, CPU time and peak RSS of that process, from
``wait4``), then one Hypercorn worker of the store and of
``bench/bare_quart.py`` driven by ``wrk`` (``bench/harness.py``):

- ``category random``: category pages with random filters and sort orders
  (a wrk Lua script draws each request's path: nearly every one a cache miss),
  caches on; the worker's RSS after it (and after ``--traffic-seconds`` more
  of the same traffic when given);
- ``first view``: the first ``GET`` of a root category after the server
  started, then after each of 5 catalog writes (a variant's price changed in
  plain SQL; every cache is invalidated), caches on;
- ``category random, caches off``, ``root category, caches off`` (``/c/women``)
  and ``search, caches off`` (200 words of the catalog's vocabulary).

The bare endpoint is measured before, between (after the random run) and
after: the machine's speed drifts over minutes, so each ratio is to the mean
of the bare runs just before and after its own measure. ``--rounds N``
measures the random run N - 1 more times at the end, each with a fresh
worker and a bare run after it (one worker process to the next moves by
about 10 % on a 2-CPU machine); the table gives their mean and range.

Usage: python bench/scale.py [--products 10000,100000] [--databases sqlite,postgres]
           [--seconds 10] [--connections 16] [--traffic-seconds 0] [--rounds 1] [--import-only]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_data  # noqa: E402
from catalog_data import COLOURS, MATERIALS, SIZES  # noqa: E402
from harness import (BIN, BenchDatabase, Hypercorn, Result, load_average, measure, server_env,  # noqa: E402
                     settings_for)

SORTS = ["relevance", "newest", "price_asc", "price_desc"]
ROOT = "women"


@dataclass
class ImportFigures:
    rows: int
    wall: float
    cpu: float
    peak_rss_mb: float
    database_cpu: float = 0.0  # PostgreSQL's server processes


@dataclass
class Run:
    """The figures of one database and catalog size."""

    database: str
    products: int
    imported: ImportFigures | None = None
    results: dict[str, Result] = field(default_factory=dict)
    first_views_ms: list[float] = field(default_factory=list)
    first_after_start_ms: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    rss_after_traffic_mb: list[float] = field(default_factory=list)

    def bare(self, label: str | None = None) -> float:
        """The bare endpoint's rate to compare ``label`` with: the mean of the
        bare runs just before and after it (the machine's speed drifts over
        minutes), or of every bare run."""
        around = _BARE_AROUND.get(label or "", ())
        if label and label.startswith("category random (round "):
            round_number = int(label.rsplit(" ", 1)[1].rstrip(")"))
            before = "bare Quart (after)" if round_number == 2 else f"bare Quart (round {round_number - 1})"
            around = (before, f"bare Quart (round {round_number})")
        rates = [result.rate for name, result in self.results.items()
                 if name.startswith("bare") and (not around or name in around)]
        return sum(rates) / len(rates)


#: the bare runs measured just before and after each measure
_BARE_AROUND = {
    "category random": ("bare Quart (before)", "bare Quart (between)"),
    **{label: ("bare Quart (between)", "bare Quart (after)")
       for label in ("category random, caches off", "root category, caches off", "search, caches off")},
}


# ------------------------------------------------------------------ requests
def random_category_paths(count: int, seed: int) -> list[str]:
    """``count`` category paths with random filters and sort orders."""
    rng = random.Random(seed)
    slugs = [slug for slug, _ in scale_data.category_slugs()]
    paths = []
    for _ in range(count):
        query: list[tuple[str, str]] = []
        if rng.random() < 0.6:
            query.append(("material", rng.choice(MATERIALS)))
        if rng.random() < 0.5:
            query.append(("colour", rng.choice(COLOURS)))
        if rng.random() < 0.4:
            query.append(("size", rng.choice(SIZES)))
        if rng.random() < 0.3:
            query.append(("organic", rng.choice(["true", "false"])))
        if rng.random() < 0.4:
            query.append(("fit", rng.choice(scale_data.FITS)))
        if rng.random() < 0.3:
            query.append(("min_price", str(rng.randrange(10, 150))))
        query.append(("sort", rng.choice(SORTS)))
        paths.append(f"/c/{rng.choice(slugs)}?{urlencode(query)}")
    return paths


def lua_script(folder: Path, name: str, paths: list[str]) -> Path:
    """A wrk script that sends a random one of ``paths`` on every request
    (seeded from the clock, so the warm-up and the run draw differently)."""
    body = ",\n".join('"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"' for path in paths)
    script = folder / f"{name}.lua"
    script.write_text(
        f"local paths = {{\n{body}\n}}\n"
        "math.randomseed(os.time() + math.floor(os.clock() * 1000000))\n"
        "request = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n")
    return script


# ------------------------------------------------------------------ steps
async def prepare(url: str) -> None:
    from engine.runtime import Runtime

    runtime = Runtime(settings_for(url))
    await runtime.connect()
    await runtime.migrate(echo=lambda *_: None)
    await runtime.start(background=False, jobs=False)
    try:
        await scale_data.prepare_catalog(runtime)
    finally:
        await runtime.stop()


class BackendCpu:
    """CPU seconds used by the PostgreSQL server processes serving one
    database, sampled in a thread while they live (a backend's time is gone
    once its connection closes)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.25):
            for proc in psutil.process_iter(["name", "cmdline"]):
                try:
                    if proc.info["name"] == "postgres" and self.database in " ".join(proc.info["cmdline"] or ()):
                        times = proc.cpu_times()
                        self.seen[proc.pid] = times.user + times.system
                except psutil.Error:
                    pass

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return sum(self.seen.values())


def run_import(url: str, path: Path, rows: int) -> ImportFigures:
    """``shopwright import products`` in a subprocess; its wall time, CPU time
    and peak RSS (``wait4``), and on PostgreSQL the server's CPU time for
    it. Its progress goes to this process's stderr."""
    env = server_env(url)
    backend = BackendCpu(url.rsplit("/", 1)[1]) if url.startswith("postgres") else None
    started = time.monotonic()
    process = subprocess.Popen([str(BIN / "shopwright"), "import", "products", str(path)], env=env,
                               stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    database_cpu = backend.stop() if backend else 0.0
    output = process.stdout.read() if process.stdout else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}):\n{output}")
    print(output.strip())
    return ImportFigures(rows, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, database_cpu)


async def write_catalog(url: str, step: int) -> None:
    """Change one variant's price in plain SQL (the change counters move)."""
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as db:
            db.execute("UPDATE catalog_variants SET price_amount = price_amount + 1 WHERE id = ?", (1 + step,))
        return
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("UPDATE catalog_variants SET price_amount = price_amount + 1 WHERE id = $1", 1 + step)
    finally:
        await conn.close()


def timed_get(url: str) -> float:
    import httpx

    started = time.perf_counter()
    response = httpx.get(url, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    return elapsed


def start(app: str, env: dict[str, str], folder: Path, path: str) -> Hypercorn:
    server = Hypercorn(app, env, 1, "uvloop", folder)
    server.wait(path)
    return server


def measure_http(run: Run, url: str, folder: Path, args: argparse.Namespace) -> None:
    load = dict(seconds=args.seconds, connections=args.connections)
    random_script = lua_script(folder, "category_random", random_category_paths(20_000, seed=run.products))
    words = scale_data.vocabulary()[:200]
    search_script = lua_script(folder, "search", [f"/search?{urlencode({'q': word})}" for word in words])

    bare = start("bare_quart:app", server_env(url), folder, "/bare")
    try:
        run.results["bare Quart (before)"] = measure(bare.url + "/bare", server=bare, **load)
    finally:
        bare.stop()

    shop = start("engine.asgi:app", server_env(url), folder, "/healthz")
    try:
        run.first_after_start_ms = timed_get(f"{shop.url}/c/{ROOT}")
        for step in range(5):
            asyncio.run(write_catalog(url, step))
            run.first_views_ms.append(timed_get(f"{shop.url}/c/{scale_data.ROOTS[step % 4]}"))
        run.results["category random"] = measure(shop.url + "/", server=shop, script=random_script, **load)
        run.rss_mb = shop.rss_mb()
        if args.traffic_seconds:
            from harness import run_wrk

            run_wrk(shop.url + "/", args.traffic_seconds, args.connections, script=random_script)
            run.rss_after_traffic_mb = shop.rss_mb()
    finally:
        shop.stop()

    bare = start("bare_quart:app", server_env(url), folder, "/bare")
    try:
        run.results["bare Quart (between)"] = measure(bare.url + "/bare", server=bare, **load)
    finally:
        bare.stop()

    shop = start("engine.asgi:app", server_env(url, SHOPWRIGHT_CACHE__ENABLED="false"), folder, "/healthz")
    try:
        run.results["category random, caches off"] = measure(shop.url + "/", server=shop, script=random_script,
                                                             **load)
        run.results["root category, caches off"] = measure(f"{shop.url}/c/{ROOT}", server=shop, **load)
        run.results["search, caches off"] = measure(shop.url + "/", server=shop, script=search_script, **load)
    finally:
        shop.stop()

    bare = start("bare_quart:app", server_env(url), folder, "/bare")
    try:
        run.results["bare Quart (after)"] = measure(bare.url + "/bare", server=bare, **load)
    finally:
        bare.stop()

    for round_number in range(2, args.rounds + 1):
        shop = start("engine.asgi:app", server_env(url), folder, "/healthz")
        try:
            run.results[f"category random (round {round_number})"] = measure(
                shop.url + "/", server=shop, script=random_script, **load)
        finally:
            shop.stop()
        bare = start("bare_quart:app", server_env(url), folder, "/bare")
        try:
            run.results[f"bare Quart (round {round_number})"] = measure(bare.url + "/bare", server=bare, **load)
        finally:
            bare.stop()


def one_run(database_kind: str, products: int, args: argparse.Namespace) -> Run:
    folder = Path(tempfile.mkdtemp(prefix="shopwright-scale-"))
    database = BenchDatabase(folder, database_kind == "postgres")
    run = Run(database.label, products)
    try:
        database.create()
        asyncio.run(prepare(database.url))
        path = folder / "catalog.csv"
        started = time.perf_counter()
        rows = scale_data.write_file(path, products)
        print(f"{database.label}, {products:,} products: wrote {rows:,} rows "
              f"({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s; "
              f"load average {load_average()}", flush=True)
        run.imported = run_import(database.url, path, rows)
        path.unlink()
        if not args.import_only:
            measure_http(run, database.url, folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        database.drop()
    report(run)
    return run


# ------------------------------------------------------------------ output
def report(run: Run) -> None:
    print(f"\n== {run.database}, {run.products:,} products; load average {load_average()}")
    imported = run.imported
    if imported:
        server = f" + {imported.database_cpu:.1f} s CPU of PostgreSQL" if imported.database_cpu else ""
        print(f"import: {imported.rows:,} rows in {imported.wall:.1f} s wall, {imported.cpu:.1f} s CPU "
              f"(the importing process){server}, peak RSS {imported.peak_rss_mb:.0f} MB")
    if not run.results:
        return
    for label, result in run.results.items():
        ratio = "" if label.startswith("bare") else f"  ratio {result.rate / run.bare(label):.3f}"
        print(f"{label:<30} {result.describe()}{ratio}")
    print(f"bare Quart baseline {run.bare():.1f} req/s (mean of all; each ratio is to the bare runs just "
          "before and after its own)")
    views = run.first_views_ms
    print(f"first view of a root category: after start {run.first_after_start_ms:.0f} ms; after a catalog write "
          f"median {statistics.median(views):.0f} ms (min {min(views):.0f}, max {max(views):.0f})")
    print(f"worker RSS after the random category run: {', '.join(f'{m:.0f} MB' for m in run.rss_mb)}")
    if run.rss_after_traffic_mb:
        print(f"worker RSS after more random category traffic: "
              f"{', '.join(f'{m:.0f} MB' for m in run.rss_after_traffic_mb)}")


def summary(runs: list[Run]) -> None:
    """The issue's table, one column per database and size (markdown)."""
    print("\n| measure | " + " | ".join(f"{r.database} {r.products:,}" for r in runs) + " |")
    print("|---|" + "---|" * len(runs))

    def rate(run: Run, label: str) -> str:
        result = run.results.get(label)
        if result is None:
            return "—"
        rounds = [name for name in run.results if name == label or name.startswith(f"{label} (round ")]
        if len(rounds) == 1:
            return f"{result.rate:.1f} req/s ({result.rate / run.bare(label):.3f}×)"
        rates = [run.results[name].rate for name in rounds]
        ratios = [run.results[name].rate / run.bare(name) for name in rounds]
        return (f"{statistics.mean(rates):.1f} req/s ({statistics.mean(ratios):.3f}×; {len(rounds)} rounds "
                f"{min(ratios):.3f}–{max(ratios):.3f}×)")

    for label in ("category random", "category random, caches off", "root category, caches off",
                  "search, caches off"):
        print(f"| {label} | " + " | ".join(rate(run, label) for run in runs) + " |")
    print("| first view of a root category: after start / after a write (median) | " + " | ".join(
        f"{run.first_after_start_ms:.0f} / {statistics.median(run.first_views_ms):.0f} ms"
        if run.first_views_ms else "—" for run in runs) + " |")
    print("| import: wall / CPU (+ database CPU) / peak RSS | " + " | ".join(
        f"{run.imported.wall:.1f} s / {run.imported.cpu:.1f} s (+ {run.imported.database_cpu:.1f} s) / "
        f"{run.imported.peak_rss_mb:.0f} MB"
        if run.imported else "—" for run in runs) + " |")
    print("| worker RSS after random category traffic | " + " | ".join(
        f"{max(run.rss_after_traffic_mb or run.rss_mb):.0f} MB" if run.rss_mb else "—" for run in runs) + " |")
    print("| bare Quart | " + " | ".join(f"{run.bare():.0f} req/s" if run.results else "—" for run in runs) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="10000,100000", help="comma-separated catalog sizes")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--traffic-seconds", type=int, default=0,
                        help="more random category traffic before reading the worker's RSS again (600: the issue's)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the random category run this many times, each with a fresh worker")
    parser.add_argument("--import-only", action="store_true", help="measure the import only")
    args = parser.parse_args()
    sizes = [int(size) for size in args.products.split(",") if size]
    kinds = [kind for kind in args.databases.split(",") if kind]
    if set(kinds) - {"sqlite", "postgres"} or not sizes or max(sizes) > 2_000_000:
        raise SystemExit("--databases takes sqlite,postgres; --products sizes up to 2,000,000")
    if args.seconds > 120 or args.connections > 256 or args.traffic_seconds > 1800 or not 1 <= args.rounds <= 10:
        raise SystemExit("keep the run bounded: --seconds <= 120, --connections <= 256, --traffic-seconds <= 1800, "
                         "--rounds 1 to 10")
    print(f"machine: {os.cpu_count()} CPU(s), load average {load_average()}; wrk -t1 -c{args.connections} "
          f"-d{args.seconds}s after a 2 s warm-up; one uvloop worker")
    runs = [one_run(kind, size, args) for kind in kinds for size in sizes]
    summary(runs)
    print(f"benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
