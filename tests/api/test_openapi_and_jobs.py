"""The OpenAPI document's completions, and the admin jobs API."""
from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest


async def test_openapi_documents_security_errors_and_etags(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url)
    client = app.test_client()
    doc = await (await client.get("/openapi.json")).get_json()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": "An admin API token (`shopwright tokens create --name N --scopes S`)."}
    assert "Problem" in doc["components"]["schemas"]
    create = doc["paths"]["/api/v1/admin/products"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert "`catalog:write`" in create["description"]
    assert {"201", "401", "403", "422", "429"} <= set(create["responses"])
    assert list(create["responses"]["422"]["content"]) == ["application/problem+json"]
    assert "requestBody" in create
    public = doc["paths"]["/api/v1/products/{slug}"]["get"]
    assert "security" not in public
    assert {"200", "304", "404", "429"} <= set(public["responses"])
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in public["parameters"])
    for path in ("/api/v1/admin/webhooks", "/api/v1/admin/webhooks/{subscription_id}/rotate-secret",
                 "/api/v1/admin/webhooks/deliveries/{delivery_id}/redeliver", "/api/v1/admin/jobs",
                 "/api/v1/admin/variants/{sku}/stock/{warehouse}", "/api/v1/admin/categories/{slug}"):
        assert path in doc["paths"], path
    assert (await client.get("/docs")).status_code == 200


async def test_the_api_browser_loads_nothing_from_another_host(sqlite_url, make_app):
    """``/docs`` works offline: its script and style sheet come from this server."""
    import re

    client = (await make_app()).test_client()
    page = await (await client.get("/docs")).get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(sources) == ["/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"]
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert b"SwaggerUIBundle" in await script.get_data()
    assert (await client.get("/docs/assets/swagger-ui.css")).mimetype == "text/css"
    assert (await client.get("/docs/assets/index.html")).status_code == 404
    assert (await client.get("/docs/assets/..%2Fswagger-ui.js")).status_code == 404


async def test_plugin_endpoints_appear_in_the_document(sqlite_url, make_app):
    """A plugin's blueprint (``lifecycle_blueprints``) is documented like the core's."""
    from pydantic import BaseModel
    from quart import Blueprint
    from quart_schema import validate_response

    from engine import PluginManifest, hookimpl

    class PingModel(BaseModel):
        pong: bool

    blueprint = Blueprint("api_doc_probe", __name__)

    @blueprint.get("/api/v1/api-doc-probe/ping")
    @validate_response(PingModel)
    async def ping():
        """Answer a ping."""
        return {"pong": True}

    class Probe:
        MANIFEST = PluginManifest(name="api_doc_probe", title="Probe", version="1.0")

        @hookimpl
        def lifecycle_blueprints(self):
            return [blueprint]

    app = await make_app(database_url=sqlite_url, plugins=[Probe()], enable=["api_doc_probe"])
    doc = await (await app.test_client().get("/openapi.json")).get_json()
    operation = doc["paths"]["/api/v1/api-doc-probe/ping"]["get"]
    assert operation["summary"] == "Answer a ping."
    assert "429" in operation["responses"]


def _sample_jobs():
    path = Path(__file__).resolve().parents[1] / "jobs" / "plugins" / "sample_jobs.py"
    spec = importlib.util.spec_from_file_location(f"sample_jobs_{uuid.uuid4().hex[:8]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_jobs_overview_lists_failures_and_the_outbox(database_url, make_app):
    from engine.accounts.staff import create_token

    sample = _sample_jobs()
    app = await make_app(database_url=database_url, plugins=[sample], jobs={"retry_backoff_seconds": 0.01})
    client = app.test_client()
    token, _ = await create_token("ops", ["plugins:write"])
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/admin/jobs")).status_code == 401
    reader, _ = await create_token("reader", ["catalog:read"])
    assert (await client.get("/api/v1/admin/jobs", headers={"Authorization": f"Bearer {reader}"})).status_code == 403

    await app.runtime.queue.enqueue("sample_jobs.always_fails", _job_id="sample_jobs:doomed")
    await app.runtime.queue.drain()
    overview = await (await client.get("/api/v1/admin/jobs", headers=headers)).get_json()
    assert overview["runner"] == "in-process"
    failure = next(f for f in overview["failures"] if f["job_id"] == "sample_jobs:doomed")
    assert failure["job"] == "sample_jobs.always_fails" and failure["tries"] == 3 and failure["error"]
    assert overview["webhooks"] == {"pending_deliveries": 0, "failed_deliveries": 0, "paused_subscriptions": 0}
    assert overview["outbox"]["pending"] == len(overview["outbox"]["unrelayed"])
    relayed = await client.post("/api/v1/admin/jobs/relay", headers=headers)
    assert relayed.status_code == 200 and isinstance((await relayed.get_json())["relayed"], int)


async def test_jobs_overview_on_redis(sqlite_url, redis_url, make_app):
    from arq.worker import Worker

    from engine.accounts.staff import create_token
    from engine.jobs.arq_queue import make_worker

    sample = _sample_jobs()
    app = await make_app(database_url=sqlite_url, redis_url=redis_url, plugins=[sample],
                         jobs={"retry_backoff_seconds": 0.01})
    token, _ = await create_token("ops", ["all"])
    await app.runtime.queue.enqueue("sample_jobs.always_fails", _job_id="sample_jobs:doomed")
    worker: Worker = make_worker(app.runtime, burst=True)
    try:
        await worker.main()
    finally:
        await worker.close()
    overview = await (await app.test_client().get("/api/v1/admin/jobs", headers={
        "Authorization": f"Bearer {token}"})).get_json()
    assert overview["runner"] == "redis"
    assert [f["job"] for f in overview["failures"]] == ["sample_jobs.always_fails"]


pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")
