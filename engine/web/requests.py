"""Cross-cutting request handling: request ids, access logs, metrics (the
security headers are :mod:`engine.web.headers`)."""
from __future__ import annotations

import re
import time
import uuid

import structlog
from quart import Quart, g, request

from engine import tracing
from engine.web import client

log = structlog.get_logger("shopwright.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

def install(app: Quart) -> None:
    @app.before_request
    async def _start() -> None:
        incoming = client.header("X-Request-ID")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)
        tracing.name_request(request.method, request.url_rule.rule if request.url_rule is not None else "<unmatched>")

    # Per request, cheaply: labelled metric children are looked up once per
    # (route, method, status); the access log line is built only when INFO is
    # logged.
    children: dict[tuple, tuple] = {}
    log_requests = app.settings.logging.level in ("DEBUG", "INFO")

    @app.after_request
    async def _finish(response):
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        method, status = request.method, response.status_code
        pair = children.get((route, method, status))
        if pair is None:
            metrics = app.runtime.metrics
            pair = children[(route, method, status)] = (metrics.requests.labels(route, method, str(status)),
                                                         metrics.latency.labels(route, method))
        pair[0].inc()
        pair[1].observe(elapsed)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if log_requests and route not in ("/healthz", "/metrics"):
            log.info("request", method=method, path=request.path, status=status, ms=round(elapsed * 1000, 2))
        return response
