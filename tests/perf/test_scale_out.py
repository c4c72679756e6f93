"""Scale-out: two web processes and two job workers sharing nothing but one
PostgreSQL database and one Redis, under a bounded load.

Real processes (``shopwright serve`` and ``shopwright worker``), a fresh
database, a queue name of its own. While a load generator keeps both web
processes busy with catalog pages and API reads, the test checks that:

- concurrent checkouts through both processes sell exactly the stock (no oversell);
- every job enqueued (some twice, through both processes) runs exactly once,
  and every domain event reaches the plugin exactly once;
- a plugin setting changed through one process is in force in the other
  within 2 seconds (its JSON and its effect on cached pages);
- a cached page and a cached API answer are invalidated in both processes by
  a price change made through one of them.

The test plugin (``tests/support/perf_probe``) is made discoverable to the
subprocesses by an entry point in a temporary ``.dist-info`` folder.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from engine.testing import cleanup_redis, plugin_site
from engine.testing.checkout import add_product, checkout_body, free_port
from engine.testing.themes import seed_sample_catalog

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SUPPORT = Path(__file__).resolve().parents[1] / "support"
SECRET = "scale-out-secret-0123456789abcdef"
STOCK = 5
BUYERS = 16
JOBS = 150


class Cluster:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: list[subprocess.Popen] = []
        self.web: list[str] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=self.env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, name: str, *args: str) -> None:
        log = open(self.logs / f"{name}.log", "w")
        self.processes.append(subprocess.Popen([sys.executable, "-m", "engine.cli", *args], env=self.env,
                                               stdout=log, stderr=subprocess.STDOUT))

    def serve(self, name: str) -> None:
        port = free_port()
        self.start(name, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
        self.web.append(f"http://127.0.0.1:{port}")

    async def wait(self, client: httpx.AsyncClient) -> None:
        deadline = time.monotonic() + 30
        for base in self.web:
            while True:
                for process in self.processes:
                    assert process.poll() is None, f"a process exited; see {self.logs}"
                try:
                    if (await client.get(base + "/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the web processes did not start"
                await asyncio.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


async def _load(client: httpx.AsyncClient, bases: list[str], stop: asyncio.Event, statuses: list[int]) -> None:
    paths = ["/c/shirts", "/api/v1/products", "/p/oxford-shirt", "/api/v1/products/oxford-shirt", "/"]
    n = 0
    while not stop.is_set():
        response = await client.get(bases[n % len(bases)] + paths[n % len(paths)])
        statuses.append(response.status_code)
        n += 1


async def _counts(redis_url: str, key: str) -> dict[str, int]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        return {field: int(value) for field, value in (await client.hgetall(key)).items()}
    finally:
        await client.aclose()


async def _until(check, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(step)


async def test_two_web_processes_and_two_workers(database_url, redis_url, make_runtime, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("scale-out runs on PostgreSQL")
    started = time.monotonic()
    queue = f"swtest:{uuid.uuid4().hex[:10]}"
    counter_key = f"{queue}:probe-counts"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHOPWRIGHT_")},
        "SHOPWRIGHT_CONFIG": os.devnull, "SHOPWRIGHT_DATABASE_URL": database_url,
        "SHOPWRIGHT_REDIS_URL": redis_url, "SHOPWRIGHT_JOBS__QUEUE_NAME": queue, "SHOPWRIGHT_SECRET_KEY": SECRET,
        "SHOPWRIGHT_LOGGING__LEVEL": "WARNING", "SHOPWRIGHT_API__RATE_LIMIT_PER_IP": "0",
        "SHOPWRIGHT_JOBS__RELAY_INTERVAL_SECONDS": "0.2",
        "PYTHONPATH": os.pathsep.join([str(plugin_site(tmp_path / "site", "perf_probe")), str(SUPPORT),
                                       os.environ.get("PYTHONPATH", "")]),
    }
    cluster = Cluster(env, tmp_path)
    cluster.cli("plugins", "enable", "perf_probe")
    cluster.cli("plugins", "configure", "perf_probe", f"counter_url={redis_url}", f"counter_key={counter_key}")
    token = cluster.cli("tokens", "create", "--name", "scale-out", "--scopes", "all").strip().splitlines()[-1]
    admin = {"Authorization": f"Bearer {token}"}

    seeder = await make_runtime(database_url=database_url, background=False)
    await seed_sample_catalog(seeder)
    await add_product(seeder, "SCALE-TEE", price=2000, stock=100, slug="scale-tee", categories=["shirts"])
    await add_product(seeder, "SCALE-LAST", price=1500, stock=STOCK, slug="scale-last")

    cluster.serve("web-a")
    cluster.serve("web-b")
    cluster.start("worker-1", "worker")
    cluster.start("worker-2", "worker")
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    stop = asyncio.Event()
    statuses: list[int] = []
    load: list[asyncio.Task] = []
    try:
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            await cluster.wait(client)
            a, b = cluster.web
            load = [asyncio.create_task(_load(client, [a, b], stop, statuses)) for _ in range(6)]

            # ---- no oversell: 16 buyers through both processes, 5 in stock
            async def buy(i: int) -> int:
                base = cluster.web[i % 2]
                cart = (await client.post(base + "/api/v1/carts")).json()["id"]
                added = await client.post(f"{base}/api/v1/carts/{cart}/lines", json={"sku": "SCALE-LAST",
                                                                                      "quantity": 1})
                if added.status_code == 409:  # sold out before this buyer reached the cart
                    assert added.json()["title"] == "Out of stock", added.text
                    return 409
                assert added.status_code == 201, added.text
                other = cluster.web[(i + 1) % 2]  # check out through the other process
                response = await client.post(f"{other}/api/v1/carts/{cart}/checkout",
                                             json=checkout_body(email=f"buyer{i}@example.test"),
                                             headers={"Idempotency-Key": uuid.uuid4().hex})
                return response.status_code

            sold = sorted(await asyncio.gather(*(buy(i) for i in range(BUYERS))))
            assert sold == [201] * STOCK + [409] * (BUYERS - STOCK), sold
            for base in (a, b):
                product = (await client.get(base + "/api/v1/products/scale-last")).json()
                assert product["variants"][0]["quantity_available"] == 0

            # ---- a cached page and API answer, invalidated in both processes
            for base in (a, b):
                for path in ("/c/shirts", "/api/v1/products/scale-tee"):
                    await client.get(base + path)
                    assert (await client.get(base + path)).headers["X-Cache"] == "hit", (base, path)
            changed = await client.put(a + "/api/v1/admin/variants/SCALE-TEE/price", json={"amount": 1750},
                                       headers=admin)
            assert changed.status_code == 200, changed.text
            for base in (b, a):
                product = await client.get(base + "/api/v1/products/scale-tee")
                assert product.json()["variants"][0]["price"]["amount"] == 1750, base
                page = await client.get(base + "/c/shirts")  # cached again by now, perhaps (the load)
                assert "€17.50" in page.text and "€20.00" not in page.text, base

            # ---- a plugin setting changed through A is in force in B within 2 s
            changed_at = time.monotonic()
            patched = await client.patch(a + "/api/v1/admin/plugins/perf_probe/settings",
                                         json={"img_host": "img1.example.test"}, headers=admin)
            assert patched.status_code == 200, patched.text

            async def in_force() -> bool:
                shown = (await client.get(b + "/perf-probe/settings")).json()
                page = await client.get(b + "/c/shirts")
                return shown["img_host"] == "img1.example.test" and \
                    "https://img1.example.test" in page.headers["Content-Security-Policy"]

            assert await _until(in_force, 2.0)
            assert time.monotonic() - changed_at < 2.0

            # ---- every job exactly once (keys 50..99 enqueued through both processes)
            keys = [f"job-{n}" for n in range(JOBS)]
            first = await client.post(a + "/api/v1/perf-probe/enqueue", json={"keys": keys[:100]})
            second = await client.post(b + "/api/v1/perf-probe/enqueue", json={"keys": keys[50:]})
            assert first.status_code == second.status_code == 200

            async def jobs_done() -> bool:
                counts = await _counts(redis_url, counter_key)
                return all(key in counts for key in keys)

            assert await _until(jobs_done, 20.0, 0.2), "jobs were lost"

            # ---- every domain event reached the plugin exactly once
            rows = await seeder.database.engine.run_ddl("SELECT id FROM outbox_events ORDER BY id")
            events = [f"event:{row['id']}" for row in rows]
            assert len(events) >= 10

            async def events_done() -> bool:
                counts = await _counts(redis_url, counter_key)
                return all(event in counts for event in events)

            assert await _until(events_done, 20.0, 0.2), "events were lost"
            await asyncio.sleep(1.0)  # time for a duplicate to show up, if there were one
            counts = await _counts(redis_url, counter_key)
            assert {key: counts[key] for key in keys} == dict.fromkeys(keys, 1)
            assert {event: counts[event] for event in events} == dict.fromkeys(events, 1)

            stop.set()
            await asyncio.gather(*load)
        assert len(statuses) > 100 and set(statuses) == {200}, set(statuses)
    finally:
        stop.set()
        for task in load:
            task.cancel()
        cluster.stop()
        await cleanup_redis(redis_url, queue)
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        await client.delete(counter_key)
        await client.aclose()
    assert time.monotonic() - started < 90
