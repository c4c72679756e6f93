"""/admin/jobs: failed jobs with their error and a Retry button that queues
the job again once (with its arguments), cron jobs with their next run, dead
letters by plugin; the same numbers on /metrics; on both runners."""
from __future__ import annotations

import importlib.util
import re
import uuid
from pathlib import Path

import pytest

from engine.testing import fetch
from engine.testing.admin import form_token, staff_client

SAMPLE = Path(__file__).resolve().parents[1] / "jobs" / "plugins" / "sample_jobs.py"


def _sample_jobs():
    spec = importlib.util.spec_from_file_location(f"sample_jobs_{uuid.uuid4().hex[:8]}", SAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _retry(client, job_id: str):
    token = await form_token(client, "/admin/jobs")
    return await client.post("/admin/jobs/retry", form={"csrf_token": token, "job_id": job_id})


async def test_a_failed_job_is_retried_from_the_jobs_page(make_app, database_url):
    sample = _sample_jobs()
    sample.fail_first["flaky"] = 1
    app = await make_app(database_url=database_url, plugins=[sample], jobs={"max_tries": 1})
    owner = await staff_client(app)
    await app.runtime.queue.enqueue("sample_jobs.flaky", "key-1", _job_id="sample_jobs:flaky-1")
    await app.runtime.queue.drain()

    page = await (await owner.get("/admin/jobs")).get_data(as_text=True)
    assert re.search(r'data-job-id="sample_jobs:flaky-1" data-state="failed">.*?flaky fails on purpose', page, re.DOTALL)
    assert 'data-dead-letters="sample_jobs"' in page and 'data-cron="core.relay_outbox"' in page
    metrics = await (await app.test_client().get("/metrics")).get_data(as_text=True)
    assert "shopwright_jobs_failed 1.0" in metrics and 'shopwright_jobs_dead_letters{plugin="sample_jobs"} 1.0' in metrics

    retried = await _retry(owner, "sample_jobs:flaky-1")
    assert retried.status_code == 303 and "retried=sample_jobs%3Aflaky-1" in retried.headers["Location"]
    again = await _retry(owner, "sample_jobs:flaky-1")
    assert "again=" in again.headers["Location"], "a second click queues nothing more"
    await app.runtime.queue.drain()
    assert [(call["args"], call["job_id"]) for call in sample.attempts("flaky")] == [
        (("key-1",), "sample_jobs:flaky-1"), (("key-1",), "retry:sample_jobs:flaky-1")]
    page = await (await owner.get("/admin/jobs")).get_data(as_text=True)
    assert 'data-job-id="retry:sample_jobs:flaky-1" data-state="succeeded"' in page
    entries = await fetch("SELECT action, target FROM audit_log WHERE action = {}", "job.retry")
    assert [row["target"] for row in entries] == ["job_id=sample_jobs:flaky-1"] * 2

    missing = await _retry(owner, "no-such-job")
    assert missing.status_code == 404


async def test_retry_on_redis(sqlite_url, redis_url, make_app):
    from engine.jobs.arq_queue import make_worker

    sample = _sample_jobs()
    sample.fail_first["flaky"] = 1
    app = await make_app(database_url=sqlite_url, redis_url=redis_url, plugins=[sample], jobs={"max_tries": 1})
    owner = await staff_client(app)

    async def work() -> None:
        worker = make_worker(app.runtime, burst=True)
        try:
            await worker.main()
        finally:
            await worker.close()

    await app.runtime.queue.enqueue("sample_jobs.flaky", "key-2", _job_id="sample_jobs:flaky-2")
    page = await (await owner.get("/admin/jobs")).get_data(as_text=True)
    assert 'data-job-id="sample_jobs:flaky-2" data-state="queued"' in page
    await work()
    page = await (await owner.get("/admin/jobs")).get_data(as_text=True)
    assert 'data-job-id="sample_jobs:flaky-2" data-state="failed"' in page
    assert (await _retry(owner, "sample_jobs:flaky-2")).status_code == 303
    await work()
    page = await (await owner.get("/admin/jobs")).get_data(as_text=True)
    assert 'data-job-id="retry:sample_jobs:flaky-2" data-state="succeeded"' in page


async def test_jobs_page_needs_plugins_write(make_app):
    app = await make_app()
    support = await staff_client(app, role="support")
    assert (await support.get("/admin/jobs")).status_code == 403
    token = await form_token(support, "/admin/account")
    assert (await support.post("/admin/jobs/retry", form={"csrf_token": token, "job_id": "x"})).status_code == 403


pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")
