"""/healthz, /readyz, /metrics and request ids."""
from __future__ import annotations


async def test_healthz(make_app):
    app = await make_app()
    response = await app.test_client().get("/healthz")
    assert response.status_code == 200
    assert (await response.get_json())["status"] == "ok"


async def test_readyz_reports_database_queue_and_plugins(make_app, database_url):
    app = await make_app(database_url=database_url)
    response = await app.test_client().get("/readyz")
    body = await response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["dialect"] == ("sqlite" if database_url.startswith("sqlite") else "postgres")
    assert body["queue"] == {**body["queue"], "ok": True, "kind": "in-process"}
    assert "core_events" in body["plugins"]["active"]
    assert body["plugins"]["errors"] == {}


async def test_readyz_is_503_when_the_database_is_unreachable(make_app, tmp_path):
    app = await make_app()
    # A directory cannot be opened as a SQLite database: every query now fails.
    app.runtime.database.engine.connection_kwargs["database"] = str(tmp_path)
    await app.runtime.database.engine.close_connections()
    response = await app.test_client().get("/readyz")
    body = await response.get_json()
    assert response.status_code == 503
    assert body["database"]["ok"] is False and body["status"] == "unavailable"
    assert (await app.test_client().get("/healthz")).status_code == 200


async def test_metrics_count_requests_by_route(make_app):
    app = await make_app()
    client = app.test_client()
    for _ in range(3):
        await client.get("/healthz")
    await client.get("/nowhere")
    text = (await (await client.get("/metrics")).get_data()).decode()
    assert 'shopwright_http_requests_total{method="GET",route="/healthz",status="200"} 3.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "shopwright_http_request_duration_seconds_bucket" in text
    assert "shopwright_jobs_total" in text or "# HELP shopwright_jobs_total" in text


async def test_request_id_is_echoed_or_made(make_app):
    app = await make_app()
    client = app.test_client()
    given = await client.get("/healthz", headers={"X-Request-ID": "abc12345-req"})
    assert given.headers["X-Request-ID"] == "abc12345-req"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.headers["X-Content-Type-Options"] == "nosniff"


async def test_api_errors_are_problem_json(make_app):
    app = await make_app()
    response = await app.test_client().get("/api/v1/admin/plugins")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    body = await response.get_json()
    assert set(body) >= {"type", "title", "status", "detail"}
