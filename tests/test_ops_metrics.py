"""The metrics behind the dashboard and the alerts (engine.metrics): hook time
and failures by plugin, checkout outcomes, payment gateway calls, page-cache
lookups, queue depth and age (arq and the in-process runner), outbox lag."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import httpx
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from engine import PluginManifest, hookimpl
from engine.cli.serve import shared_metrics
from engine.jobs.overview import OVERVIEW_SCRAPE_INTERVAL_SECONDS, observe, observe_waiting
from engine.metrics import MULTIPROC_ENV, multiprocess_dir
from engine.outbox import emit, lag_seconds
from engine.testing import api_token, wait_until
from engine.testing.checkout import add_product, cart_with, checkout, free_port
from standin_gateway import StandInGateway


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """``{(sample name, labels): value}`` of a Prometheus text page."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(page: dict, name: str, **labels: str) -> float:
    return page.get((name, frozenset(labels.items())), 0.0)


async def scrape(client) -> dict:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return samples((await response.get_data()).decode())


def _raising(lines, context, settings):
    raise RuntimeError("pricing plugin broke")


async def _slow(lines, context, settings):
    await asyncio.Event().wait()  # never answers: cut off at the deadline


PLUGINS = [
    SimpleNamespace(MANIFEST=PluginManifest(name="boom", title="boom"), pricing_adjustments=hookimpl(_raising)),
    SimpleNamespace(MANIFEST=PluginManifest(name="sloth", title="sloth"), pricing_adjustments=hookimpl(_slow)),
]


async def test_hook_checkout_payment_and_cache_metrics(make_app, database_url):
    app = await make_app(database_url=database_url, plugins=PLUGINS, enable=["boom", "sloth"],
                         settings={"plugins": {"hook_deadline_seconds": 0.2, "breaker_failures": 100}},
                         cache={"enabled": True})
    client = app.test_client()
    await add_product(app.runtime, "MET-1", price=1200, stock=3)
    cart = await cart_with(client, "MET-1")
    placed = await checkout(client, cart, key="metrics-key-1")
    assert placed.status_code == 201, await placed.get_json()
    assert (await checkout(client, cart, key="metrics-key-1")).status_code in (200, 201)  # the same key: a replay
    refused = await checkout(client, await cart_with(client, "MET-1"), email="not-an-address")
    assert refused.status_code == 422
    before = await scrape(client)
    answers = [(await app.test_client().get("/")).headers.get("X-Cache") for _ in range(3)]
    assert answers == ["miss", "hit", "hit"], "a miss, a hit through Quart, a hit on the fast path"

    page = await scrape(client)
    assert value(page, "shopwright_checkouts_total", outcome="placed", reason="") == 1
    assert value(page, "shopwright_checkouts_total", outcome="replayed", reason="") == 1
    assert value(page, "shopwright_checkouts_total", outcome="refused", reason="invalid_input") == 1
    assert value(page, "shopwright_payment_gateway_calls_total", gateway="manual", call="payment start",
                 outcome="ok") == 1
    raised = value(page, "shopwright_hook_failures_total", plugin="boom", hook="pricing_adjustments", reason="raised")
    missed = value(page, "shopwright_hook_failures_total", plugin="sloth", hook="pricing_adjustments",
                   reason="deadline")
    assert raised >= 1 and missed >= 1
    assert value(page, "shopwright_hook_duration_seconds_count", plugin="sloth", hook="pricing_adjustments") == missed
    assert value(page, "shopwright_hook_duration_seconds_bucket", plugin="sloth", hook="pricing_adjustments",
                 le="0.1") == 0, "a deadline miss takes the deadline's time"
    assert any(name == "shopwright_hook_duration_seconds_count" and dict(labels)["plugin"] not in ("boom", "sloth")
               for name, labels in page), "core plugins' hooks are timed too"
    for result, count in (("hit", 2), ("miss", 1)):
        lookups = [value(scraped, "shopwright_cache_lookups_total", kind="response", result=result)
                   for scraped in (before, page)]
        assert lookups[1] - lookups[0] == count, (result, lookups)
    assert ("shopwright_outbox_lag_seconds", frozenset()) in page
    assert ("shopwright_queue_oldest_job_age_seconds", frozenset()) in page


async def test_payment_movements_are_counted_by_gateway_and_outcome(make_app, database_url):
    gateway = StandInGateway()
    standin = SimpleNamespace(MANIFEST=PluginManifest(name="standin_pay", title="Stand-in payments"),
                              payment_gateways=hookimpl(lambda settings: [gateway]))
    app = await make_app(plugins=[standin], database_url=database_url)
    client = app.test_client()
    await add_product(app.runtime, "MET-PAY", price=2500, stock=2)
    order = await (await checkout(client, await cart_with(client, "MET-PAY"), payment_method="standin")).get_json()
    webhook = {"id": "evt_auth", "reference": order["payment"]["reference"], "status": "authorized",
               "amount": order["totals"]["total"], "provider_id": "ch_1"}
    assert (await client.post("/webhooks/standin_pay", json=webhook)).status_code == 200
    gateway.fail_next = 1  # the first capture gets no answer; the settle job's retry succeeds
    token = await api_token("metrics", ["orders:write"])
    captured = await client.post(f"/api/v1/admin/orders/{order['number']}/capture",
                                 headers={"Authorization": f"Bearer {token}"}, json={})
    assert captured.status_code == 502
    await app.runtime.queue.drain()
    page = await scrape(client)
    assert value(page, "shopwright_payment_gateway_calls_total", gateway="standin", call="payment start",
                 outcome="ok") == 1
    assert value(page, "shopwright_payment_gateway_calls_total", gateway="standin", call="capture",
                 outcome="unknown") == 1
    assert value(page, "shopwright_payment_gateway_calls_total", gateway="standin", call="capture",
                 outcome="ok") == 1


async def test_queue_depth_oldest_age_and_outbox_lag_on_arq(make_runtime, redis_url, database_url):
    runtime = await make_runtime(database_url=database_url, redis_url=redis_url, background=False)
    await runtime.queue.enqueue("metrics.later", _defer_by=600)
    await runtime.queue.enqueue("metrics.now")
    waiting_since = datetime.now(timezone.utc) - timedelta(seconds=120)
    await runtime.queue.pool.enqueue_job("metrics.waiting", _defer_until=waiting_since,  # due two minutes ago
                                         _queue_name=runtime.settings.jobs.queue_name)
    async with runtime.database.transaction():
        await emit("metrics_test", {})
    await observe_waiting(runtime)
    page = samples(runtime.metrics.render().decode())
    assert value(page, "shopwright_queue_depth", state="due") == 2
    assert value(page, "shopwright_queue_depth", state="deferred") == 1
    assert 119 <= value(page, "shopwright_queue_oldest_job_age_seconds") < 600
    assert 0 <= value(page, "shopwright_outbox_lag_seconds") < 600
    later = datetime.now(timezone.utc) + timedelta(seconds=300)
    assert 299 <= await lag_seconds(now=later) < 900


async def test_queue_depth_of_the_in_process_runner(make_runtime):
    runtime = await make_runtime(background=False)
    queue = runtime.queue
    queue.register({"metrics.job": lambda ctx: None}, [])
    assert await queue.enqueue("metrics.job", _job_id="a")  # not started: it stays queued
    assert await queue.enqueue("metrics.job", _job_id="b", _defer_by=600)
    queue.jobs["a"].due_at -= 30  # as if it had waited half a minute
    await observe_waiting(runtime)
    page = samples(runtime.metrics.render().decode())
    assert value(page, "shopwright_queue_depth", state="due") == 1
    assert value(page, "shopwright_queue_depth", state="deferred") == 1
    assert 30 <= value(page, "shopwright_queue_oldest_job_age_seconds") < 300
    assert value(page, "shopwright_outbox_lag_seconds") == 0


async def test_the_whole_queue_is_read_at_most_once_per_interval(make_runtime):
    runtime = await make_runtime(background=False)
    runtime.queue.register({"metrics.job": lambda ctx: None}, [])
    assert await runtime.queue.enqueue("metrics.job", _job_id="a")

    async def scrape_at(now: float) -> dict:
        await observe(runtime, now=now)
        return samples(runtime.metrics.render().decode())

    assert value(await scrape_at(1000.0), "shopwright_jobs_queued") == 1
    assert await runtime.queue.enqueue("metrics.job", _job_id="b")
    soon = await scrape_at(1000.0 + OVERVIEW_SCRAPE_INTERVAL_SECONDS - 1)
    assert value(soon, "shopwright_jobs_queued") == 1, "the /admin/jobs figures are not read again yet"
    assert value(soon, "shopwright_queue_depth", state="due") == 2, "the bounded gauges are read on every scrape"
    assert value(await scrape_at(1000.0 + OVERVIEW_SCRAPE_INTERVAL_SECONDS), "shopwright_jobs_queued") == 2


# ------------------------------------------------------------------ several Hypercorn workers
def healthz_by_worker(metrics_dirs: list[Path]) -> dict[str, float]:
    """``{pid: /healthz requests}`` from the workers' metric files (prometheus-client's format)."""
    counts: dict[str, float] = {}
    for path in (path for directory in metrics_dirs for path in directory.glob("counter_*.db")):
        for key, count, *_ in MmapedDict.read_all_values_from_file(str(path)):
            name, sample, labels, _help = json.loads(key)
            if sample == "shopwright_http_requests_total" and labels.get("route") == "/healthz":
                pid = path.stem.removeprefix("counter_")
                counts[pid] = counts.get(pid, 0) + count
    return counts


async def test_metrics_of_a_server_with_two_workers_count_every_worker(sqlite_url, tmp_path):
    port = free_port()
    temp = tmp_path / "tmp"  # where `serve` makes the workers' metrics directory
    temp.mkdir()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SHOPWRIGHT_", MULTIPROC_ENV))},
           "SHOPWRIGHT_CONFIG": os.devnull, "SHOPWRIGHT_DATABASE_URL": sqlite_url, "TMPDIR": str(temp),
           "SHOPWRIGHT_SECRET_KEY": "metrics-workers-0123456789abcdef", "SHOPWRIGHT_LOGGING__LEVEL": "WARNING"}
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port",
                                   str(port), "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT)
    fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection each time: any worker may answer
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=fresh, timeout=10) as client:
            async def up() -> bool:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            async def both_workers_answered() -> bool:
                answers = await asyncio.gather(*(client.get("/healthz") for _ in range(50)))
                assert {answer.status_code for answer in answers} == {200}
                return len(healthz_by_worker(list(temp.glob("shopwright-metrics-*")))) == 2

            await wait_until(up, timeout=60, what="the server with two workers")
            await wait_until(both_workers_answered, timeout=60, what="requests answered by each worker")
            by_worker = healthz_by_worker(list(temp.glob("shopwright-metrics-*")))
            for _ in range(6):
                page = samples((await client.get("/metrics")).text)
                total = value(page, "shopwright_http_requests_total", route="/healthz", method="GET", status="200")
                assert total == sum(by_worker.values()), ("every scrape shows both workers' requests", by_worker)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not list(temp.glob("shopwright-metrics-*")), "the metrics directory is removed when the server stops"


def test_serve_gives_several_workers_one_fresh_metrics_directory(monkeypatch):
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with shared_metrics(1):
        assert multiprocess_dir() is None, "one worker keeps its metrics in memory"
    with shared_metrics(2):
        directory = multiprocess_dir()
        assert directory and os.path.isdir(directory) and not os.listdir(directory)
    assert multiprocess_dir() is None and not os.path.exists(directory)


async def test_server_errors_are_counted_for_the_5xx_alert(make_app):
    app = await make_app()

    async def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken-for-test", "broken_for_test", broken)
    assert (await app.test_client().get("/broken-for-test")).status_code == 500
    page = await scrape(app.test_client())
    assert value(page, "shopwright_http_requests_total", route="/broken-for-test", method="GET", status="500") == 1
