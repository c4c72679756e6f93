"""/healthz, /readyz, /metrics (and who may read it) and request ids."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


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


# ------------------------------------------------------------------ who may read /metrics
TOKEN = "metrics-token-for-tests-0123456789"


async def _metrics(client, peer: str | None = None, headers: dict | None = None):
    scope = {"client": (peer, 40000)} if peer else None
    return await client.get("/metrics", headers=headers or {}, scope_base=scope)


async def test_metrics_answer_only_on_this_machine_by_default(make_app):
    client = (await make_app()).test_client()
    for peer in ("127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1", None):
        response = await _metrics(client, peer)
        assert response.status_code == 200, peer
        assert b"shopwright_http_requests_total" in await response.get_data()
    for peer in ("203.0.113.9", "10.0.0.5", "172.18.0.4", "2001:db8::1", "not-an-address"):
        refused = await _metrics(client, peer)
        assert refused.status_code == 403, peer
        assert b"shopwright_" not in await refused.get_data()
    # a proxy on this machine passing on a visitor's request does not make it local
    for headers in ({"X-Forwarded-For": "203.0.113.9"}, {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"},
                    {"Forwarded": "for=203.0.113.9"}, {"X-Real-IP": "203.0.113.9"}):
        assert (await _metrics(client, "127.0.0.1", headers)).status_code == 403, headers
    # ... whatever trusted_proxies says, and a forged hop cannot open it either
    trusting = (await make_app(security={"trusted_proxies": 1})).test_client()
    assert (await _metrics(trusting, "127.0.0.1", {"X-Forwarded-For": "203.0.113.9"})).status_code == 403
    assert (await _metrics(trusting, "203.0.113.9", {"X-Forwarded-For": "127.0.0.1"})).status_code == 403


async def test_metrics_with_a_bearer_token(make_app):
    client = (await make_app(ops={"metrics_token": TOKEN})).test_client()
    allowed = await _metrics(client, "203.0.113.9", {"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and b"shopwright_http_requests_total" in await allowed.get_data()
    assert (await _metrics(client, "203.0.113.9", {"Authorization": f"bearer {TOKEN}"})).status_code == 200
    for headers in ({}, {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": "Bearer"}, {"Authorization": "Bearer " + "x" * 5000}):
        refused = await _metrics(client, "203.0.113.9", headers)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"shopwright_" not in await refused.get_data()
    assert (await _metrics(client, "127.0.0.1")).status_code == 200, "loopback still needs no token"


async def test_metrics_networks_setting(make_app):
    client = (await make_app(ops={"metrics_networks": ["10.0.0.0/8"]})).test_client()
    assert (await _metrics(client, "10.1.2.3")).status_code == 200
    assert (await _metrics(client, "10.1.2.3", {"X-Forwarded-For": "10.9.9.9"})).status_code == 200
    assert (await _metrics(client, "10.1.2.3", {"X-Forwarded-For": "203.0.113.9"})).status_code == 403
    assert (await _metrics(client, "127.0.0.1")).status_code == 403
    closed = (await make_app(ops={"metrics_networks": []})).test_client()
    assert (await _metrics(closed, "127.0.0.1")).status_code == 403
    assert (await _metrics(closed)).status_code == 403


def test_metrics_settings_are_checked():
    from engine.settings import SettingsError, load_settings

    for bad in ({"metrics_token": "short"}, {"metrics_token": "has a space in the middle!"},
                {"metrics_networks": ["10.0.0.0/33"]}, {"metrics_networks": ["example.com"]}):
        with pytest.raises(SettingsError, match="ops.metrics_"):
            load_settings(config_path=os.devnull, environ={}, ops=bad)
    settings = load_settings(config_path=os.devnull, environ={"SHOPWRIGHT_OPS__METRICS_TOKEN": TOKEN,
                                                              "SHOPWRIGHT_OPS__METRICS_NETWORKS": '["10.0.0.1/8"]'})
    assert settings.ops.metrics_token == TOKEN and settings.ops.metrics_networks == ["10.0.0.0/8"]
    assert load_settings(config_path=os.devnull, environ={"SHOPWRIGHT_OPS__METRICS_TOKEN": ""}).ops.metrics_token == ""


async def test_the_deploy_prometheus_example_scrapes_with_the_token(make_app):
    """deploy/prometheus/prometheus.yml scrapes /metrics of the web processes and
    the job workers with the bearer token the compose file gives them; nginx does
    not pass /metrics on."""
    yaml = pytest.importorskip("yaml")
    deploy = Path(__file__).resolve().parents[1] / "deploy"
    config = yaml.safe_load((deploy / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    job, worker = jobs["shopwright"], jobs["shopwright-worker"]
    for each in (job, worker):
        assert each["metrics_path"] == "/metrics" and each["authorization"]["type"] == "Bearer"
    assert job["dns_sd_configs"][0]["port"] == 8000 and job["dns_sd_configs"][0]["names"] == ["web"]
    compose = yaml.safe_load((deploy / "compose.yaml").read_text())
    # the workers serve their /metrics beyond their own container, on the port Prometheus asks
    command = compose["services"]["worker"]["command"]
    assert worker["dns_sd_configs"][0]["names"] == ["worker"]
    assert command[command.index("--health-port") + 1] == str(worker["dns_sd_configs"][0]["port"])
    assert command[command.index("--health-host") + 1] == "0.0.0.0"
    assert compose["x-shop"]["environment"]["SHOPWRIGHT_OPS__METRICS_TOKEN"] == "${METRICS_TOKEN:-}"
    assert "location = /metrics" in (deploy / "nginx" / "shopwright.conf").read_text()
    # what Prometheus sends, from another container of the compose network
    client = (await make_app(ops={"metrics_token": TOKEN})).test_client()
    scrape = await _metrics(client, "172.18.0.9", {"Authorization": f"{job['authorization']['type']} {TOKEN}"})
    assert scrape.status_code == 200 and scrape.content_type.startswith("text/plain")
