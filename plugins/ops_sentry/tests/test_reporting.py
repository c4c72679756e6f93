"""Must show (issue 24): an exception in a request, in a job and in a plugin
hook each reaches the (local) Sentry once, the plugin named, with no personal
data in the envelope; enabling and disabling starts and closes the client."""
from __future__ import annotations

import fragile
import sentry_sdk

import engine
from engine.testing import wait_until
from shopwright_ops_sentry import client
from shopwright_ops_sentry import plugin as ops_sentry

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
    await wait_until(lambda: len(sink.events()) >= 3, timeout=10)

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
    await wait_until(lambda: len(sink.events()) == 1, timeout=10)
