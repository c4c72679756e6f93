"""Traces (engine/tracing.py): one checkout's trace holds the request, its hook
calls (with the plugin's name), its SQL and the jobs its events started; with
tracing off nothing is traced and nothing is stored with the events."""
from __future__ import annotations

import os

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from engine import tracing
from engine.settings import TracingSettings
from engine.testing import fetch, wait_until
from engine.testing.checkout import add_product, cart_with, checkout

from . import trace_probe

TRACED = {"enabled": True, "otlp_endpoint": "", "service_name": "shop-under-test"}


@pytest.fixture
def spans():
    """The finished spans of this test's traced app (tracing is off again afterwards)."""
    exporter = InMemorySpanExporter()
    yield exporter
    tracing.configure(TracingSettings())


async def test_one_checkout_is_one_trace_from_request_to_jobs(make_app, database_url, spans):
    trace_probe.handled.clear()
    app = await make_app(plugins=[trace_probe], tracing=TRACED, database_url=database_url)
    tracing.provider().add_span_processor(SimpleSpanProcessor(spans))
    await add_product(app.runtime, "TRACE-1", price=1200, stock=3)
    client = app.test_client()
    cart = await cart_with(client, "TRACE-1", 1)
    spans.clear()

    response = await client.post(f"/api/v1/carts/{cart}/checkout", json={
        "email": "ada@example.test", "shipping_method": "flat_rate:standard", "payment_method": "manual",
        "shipping_address": {"first_name": "Ada", "last_name": "Lovelace", "line1": "Unter den Linden 1",
                             "city": "Berlin", "postal_code": "10117", "country": "DE"}},
        headers={"Idempotency-Key": "trace-checkout-1"})
    assert response.status_code == 201, await response.get_data(as_text=True)
    await wait_until(lambda: trace_probe.handled)
    await wait_until(lambda: any(s.name == "job core.deliver_event" and s.end_time for s in spans.get_finished_spans()))

    finished = spans.get_finished_spans()
    request = [s for s in finished if s.kind.name == "SERVER" and s.name == "POST /api/v1/carts/<token>/checkout"]
    assert len(request) == 1, sorted({s.name for s in finished})
    assert not [value for value in request[0].attributes.values() if cart in str(value)], "no cart id in the span"
    assert request[0].attributes["http.route"] == "/api/v1/carts/<token>/checkout"
    trace_id = request[0].context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in in_trace}

    def descends(span, ancestor) -> bool:
        while span.parent is not None:
            if span.parent.span_id == ancestor.context.span_id:
                return True
            span = by_id.get(span.parent.span_id)
            if span is None:
                return False
        return False

    def under_request(span) -> bool:
        return descends(span, request[0])

    hooks = [s for s in in_trace if s.name == "hook checkout_validate" and under_request(s)]
    assert {s.attributes["shopwright.plugin"] for s in hooks} >= {"trace_probe"}
    system = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    sql = [s for s in in_trace if s.attributes.get("db.system") == system and under_request(s)]
    assert any(s.attributes["db.statement"].startswith("INSERT INTO outbox_events") for s in sql)
    assert all("ada@example.test" not in s.attributes["db.statement"] for s in sql)  # placeholders, not values
    dispatches = [s for s in in_trace if s.name == "job core.dispatch_event" and under_request(s)]
    deliveries = [s for s in in_trace if s.name == "job core.deliver_event" and under_request(s)]
    assert dispatches and deliveries
    assert all(any(descends(delivery, dispatch) for dispatch in dispatches) for delivery in deliveries)
    handler = [s for s in in_trace if s.name == "hook jobs_handle_event" and under_request(s)]
    assert "trace_probe" in {s.attributes["shopwright.plugin"] for s in handler}
    assert (await fetch("SELECT trace_context FROM outbox_events WHERE name = 'order_placed'"))[0]["trace_context"]


async def test_tracing_off_makes_no_spans_and_stores_nothing(make_app):
    app = await make_app()
    assert not tracing.enabled() and tracing.provider() is None
    assert type(app.asgi_app).__name__ != "OpenTelemetryMiddleware"
    await add_product(app.runtime, "UNTRACED-1", price=900, stock=2)
    client = app.test_client()
    response = await checkout(client, await cart_with(client, "UNTRACED-1", 1))
    assert response.status_code == 201
    rows = await fetch("SELECT trace_context FROM outbox_events")
    assert rows and all(row["trace_context"] is None for row in rows)


def test_a_stored_trace_context_that_is_not_one_is_ignored():
    tracing.configure(TracingSettings(enabled=True, otlp_endpoint=""))
    try:
        for junk in ("", "not json", "[1, 2]", '{"traceparent": 5}', "{" * 600, '{"traceparent": "00-zz-zz-01"}'):
            with tracing.resumed(junk):
                assert tracing.carrier() is None
    finally:
        tracing.configure(TracingSettings())


def test_tracing_is_set_from_the_environment_like_every_setting():
    from engine.settings import SettingsError, load_settings

    settings = load_settings(config_path=os.devnull, environ={"SHOPWRIGHT_TRACING__ENABLED": "1",
                                                              "SHOPWRIGHT_TRACING__SAMPLE_RATIO": "0.25"})
    assert settings.tracing.enabled and settings.tracing.sample_ratio == 0.25
    assert not load_settings(config_path=os.devnull, environ={}).tracing.enabled, "off by default"
    with pytest.raises(SettingsError, match="tracing.sample_ratio"):
        load_settings(config_path=os.devnull, environ={"SHOPWRIGHT_TRACING__SAMPLE_RATIO": "2"})


@pytest.mark.parametrize("record_client", [False, True])
async def test_request_spans_keep_the_client_only_when_the_merchant_says_so(make_app, spans, record_client):
    app = await make_app(tracing={**TRACED, "record_client_address": record_client})
    tracing.provider().add_span_processor(SimpleSpanProcessor(spans))
    response = await app.test_client().get("/healthz", headers={"User-Agent": "Shopper-Browser/1.0"})
    assert response.status_code == 200
    [server] = [s for s in spans.get_finished_spans() if s.kind.name == "SERVER"]
    agents = [value for key, value in server.attributes.items() if "user_agent" in key]
    assert agents == (["Shopper-Browser/1.0"] if record_client else [""])


async def test_a_failed_jobs_span_holds_no_personal_data(spans):
    tracing.configure(TracingSettings(enabled=True, otlp_endpoint=""))
    tracing.provider().add_span_processor(SimpleSpanProcessor(spans))

    async def failing(ctx):
        raise LookupError("no account for ada@example.test (card 4242 4242 4242 4242) from 203.0.113.9")

    with pytest.raises(LookupError):
        await tracing.traced_job("accounts.sync", failing)({"job_id": "j1", "job_try": 1})
    [span] = spans.get_finished_spans()
    recorded = [span.status.description or ""] + [str(dict(event.attributes)) for event in span.events]
    assert span.status.status_code.name == "ERROR" and "LookupError" in recorded[0]
    assert "[email]" in recorded[0] and "[number]" in recorded[0] and "[ip]" in recorded[0]
    assert not [text for text in recorded if "ada@" in text or "4242" in text or "203.0.113" in text]
    assert not [event for event in span.events if "exception.stacktrace" in event.attributes]
