"""Must show (issue 24): an exception in a request, in a job and in a plugin
hook each reaches the (local) Sentry once, the plugin named, with no personal
data in the envelope; enabling and disabling starts and closes the client."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import fragile
import sentry_sdk

import engine
from engine.testing import plugin_site, wait_until
from shopwright_ops_sentry import client
from shopwright_ops_sentry import plugin as ops_sentry

HERE = Path(__file__).parent
SECRET_HEADERS = {"Authorization": "Bearer AuthH3aderSecretValue", "Cookie": "sw_session=C00kieSecretValue123"}
QUERY = f"?token={fragile.TOKEN}&email={fragile.EMAIL}&last_name=Lovelace"
PERSONAL = [fragile.EMAIL, fragile.CARD, fragile.CARD.replace(" ", ""), fragile.TOKEN, "AuthH3aderSecretValue",
            "C00kieSecretValue123", "Lovelace"]


async def _shop(make_app, sink, database_url=None):
    app = await make_app(plugins=[ops_sentry, fragile], **({"database_url": database_url} if database_url else {}))
    await app.runtime.host.configure("ops_sentry", {"dsn": sink.dsn, "environment": "test"})
    assert client.active()
    return app


async def test_request_job_and_hook_errors_each_reach_sentry_once_without_personal_data(make_app, database_url,
                                                                                        sink):
    app = await _shop(make_app, sink, database_url)
    http = app.test_client()

    response = await http.get("/fragile/boom" + QUERY, headers=SECRET_HEADERS)
    assert response.status_code == 500
    fragile.armed["csp"] = True
    response = await http.get("/" + QUERY, headers=SECRET_HEADERS)
    assert response.status_code == 200 and not fragile.armed["csp"], "the hook ran (and failed) in this request"
    await app.runtime.queue.enqueue("fragile.explode")
    await app.runtime.queue.drain()
    sentry_sdk.flush(timeout=10)
    await wait_until(lambda: len(sink.events()) >= 3, timeout=60)

    events = sink.events()
    by_message = {kind: [e for e in events if f"{kind} exploded" in e["exception"]["values"][-1]["value"]]
                  for kind in ("request", "hook", "job")}
    assert {kind: len(found) for kind, found in by_message.items()} == {"request": 1, "hook": 1, "job": 1}, events
    assert len(events) == 3, "nothing reported twice (the job's exception is seen by the runner and the hook)"
    request, hook, job = by_message["request"][0], by_message["hook"][0], by_message["job"][0]
    assert "/fragile/boom" in request["request"]["url"]
    assert (hook["tags"]["plugin"], hook["tags"]["hook"]) == ("fragile", "theme_csp_sources")
    assert (job["tags"]["plugin"], job["tags"]["job"]) == ("fragile", "fragile.explode")
    for event in events:
        assert event["release"] == f"shopwright@{engine.__version__}" and event["environment"] == "test"
    for body in sink.raw:
        text = body.decode("utf-8", "replace")
        assert not [value for value in PERSONAL if value in text], text
    assert "[Filtered]" in request["exception"]["values"][-1]["value"]


async def test_enabling_and_disabling_starts_and_closes_the_client(make_app, sink):
    app = await _shop(make_app, sink)
    http = app.test_client()

    await app.runtime.host.disable("ops_sentry")
    assert not client.active() and not sentry_sdk.get_client().is_active()
    assert (await http.get("/fragile/boom")).status_code == 500
    assert sink.events() == [], "a disabled plugin's client is closed: nothing is captured"

    await app.runtime.host.enable("ops_sentry")
    assert client.active()
    assert (await http.get("/fragile/boom")).status_code == 500
    sentry_sdk.flush(timeout=10)
    await wait_until(lambda: len(sink.events()) == 1, timeout=60)


async def test_a_job_failing_in_a_shopwright_worker_reaches_sentry_once(make_runtime, redis_url, sink, tmp_path):
    """The production path: ``shopwright worker --burst`` (arq) starts the client when it finds the
    plugin enabled, and the job's exception — seen by the engine's job wrapper and by Sentry's arq
    integration — is one event."""
    runtime = await make_runtime(plugins=[ops_sentry, fragile], redis_url=redis_url)
    await runtime.host.configure("ops_sentry", {"dsn": sink.dsn, "environment": "worker-test"})
    assert await runtime.queue.enqueue("fragile.explode") is True
    settings = runtime.settings
    env = {key: value for key, value in os.environ.items() if not key.startswith("SHOPWRIGHT_")}
    env.update(SHOPWRIGHT_CONFIG=os.devnull, SHOPWRIGHT_DATABASE_URL=settings.database_url,
               SHOPWRIGHT_REDIS_URL=redis_url, SHOPWRIGHT_SECRET_KEY=settings.secret_key,
               SHOPWRIGHT_JOBS__QUEUE_NAME=settings.jobs.queue_name, SHOPWRIGHT_LOGGING__LEVEL="ERROR",
               PYTHONPATH=os.pathsep.join([str(plugin_site(tmp_path / "site", "fragile")), str(HERE)]))
    worker = await asyncio.create_subprocess_exec(str(Path(sys.executable).parent / "shopwright"), "worker", "--burst",
                                                  env=env, stdout=asyncio.subprocess.PIPE,
                                                  stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(worker.communicate(), 60)
    assert worker.returncode == 0, output.decode()

    await wait_until(lambda: sink.events(), timeout=60)  # the worker flushed its client as it stopped
    events = sink.events()
    assert len(events) == 1, events
    assert (events[0]["tags"]["plugin"], events[0]["tags"]["job"]) == ("fragile", "fragile.explode")
    assert events[0]["environment"] == "worker-test"
    assert not [value for value in PERSONAL if value in b"".join(sink.raw).decode("utf-8", "replace")]
