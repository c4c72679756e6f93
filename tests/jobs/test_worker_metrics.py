"""``shopwright worker``'s /metrics on its health port: the worker process's
own figures (the jobs it ran), behind the same rule as the web process's."""
from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine.cli.worker import metrics_page
from engine.jobs.health import serve_health
from engine.testing.checkout import free_port

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")
TOKEN = "worker-metrics-token-0123456789"


async def test_the_worker_serves_its_own_metrics(make_jobs_runtime, redis_url, load_plugin, burst):
    sample = load_plugin("sample_jobs")
    runtime = await make_jobs_runtime(plugins=[sample], redis_url=redis_url,
                                      ops={"metrics_token": TOKEN, "metrics_networks": []})
    assert await runtime.queue.enqueue("sample_jobs.record", 7)
    worker = await burst(runtime)
    assert worker.jobs_complete == 1
    port = free_port()
    server = await serve_health("127.0.0.1", port, worker, runtime.database.ping, metrics_page(runtime))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            refused = await client.get("/metrics")
            assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
            assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"})
                    ).status_code == 401
            page = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/plain")
            assert (await client.get("/healthz")).json() == {"status": "ok"}
    finally:
        server.close()
    ran = {tuple(sorted(sample.labels.items())): sample.value
           for family in text_string_to_metric_families(page.text) for sample in family.samples
           if sample.name == "shopwright_jobs_total"}
    assert ran[(("job", "sample_jobs.record"), ("outcome", "succeeded"))] == 1
