"""The metrics behind the dashboard and the alerts (engine.metrics): hook time
and failures by plugin, checkout outcomes, payment gateway calls, page-cache
lookups, queue depth and age (arq and the in-process runner), outbox lag."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from engine import PluginManifest, hookimpl
from engine.jobs.overview import observe_waiting
from engine.outbox import emit, lag_seconds
from engine.testing.checkout import add_product, cart_with, checkout


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
