"""Cross-cutting request handling: request ids, access logs, metrics, security headers."""
from __future__ import annotations

import re
import time
import uuid

import structlog
from quart import Quart, g, request

log = structlog.get_logger("shopwright.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def install(app: Quart) -> None:
    @app.before_request
    async def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    async def _finish(response):
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        metrics = app.runtime.metrics
        metrics.requests.labels(route, request.method, str(response.status_code)).inc()
        metrics.latency.labels(route, request.method).observe(elapsed)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if route not in ("/healthz", "/metrics"):
            log.info("request", method=request.method, path=request.path, status=response.status_code,
                     ms=round(elapsed * 1000, 2))
        return response
