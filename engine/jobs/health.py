"""The job worker's health endpoint: a tiny HTTP server inside
``shopwright worker`` for load balancers, container runtimes and monitors.

``shopwright worker --health-port P`` (or ``jobs.worker_health_port``)
listens on ``jobs.worker_health_host`` (127.0.0.1 by default) and answers:

- ``GET /healthz`` — 200 ``{"status": "ok"}`` while the process runs;
- ``GET /readyz`` — 200 when the worker polls Redis and the database
  answers, else 503; JSON with ``status``, ``redis`` (``ok``, ``error``,
  ``last_poll_seconds_ago``), ``database`` (``ok``, ``error``), ``jobs``
  (``running``, ``complete``, ``failed``, ``retried``) and ``stopping``.

- ``GET /metrics`` — the worker process's Prometheus text (its jobs, hook
  calls, payment settlements), when the server is given ``metrics``: the
  same rule as the web process's ``/metrics`` decides who may read it
  (``ops.metrics_token`` / ``ops.metrics_networks``, docs/deploy.md).

Anything else is 404; only ``GET`` and ``HEAD`` are served. It speaks just
enough HTTP/1.1 for a probe: one request per connection, no body.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from werkzeug.datastructures import Headers

if TYPE_CHECKING:
    from engine.jobs.worker import ShopWorker

log = structlog.get_logger("shopwright.worker")

#: a request (line and headers) larger than this, or slower than the timeout, is dropped
MAX_REQUEST_BYTES = 8192
REQUEST_TIMEOUT_SECONDS = 5.0
REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           503: "Service Unavailable"}


@dataclass(frozen=True)
class MetricsPage:
    """What ``/metrics`` needs: ``allowed(peer, headers)`` answers 200, 401 or
    403 (``engine.web.ops.metrics_allowed`` with the ops settings), ``render()``
    the page and ``content_type`` its type."""

    allowed: Callable[[str | None, Headers], int]
    render: Callable[[], bytes]
    content_type: str


async def readiness(worker: ShopWorker, ping_database: Callable[[], Awaitable[None]]) -> tuple[int, dict]:
    """The worker's ``/readyz`` answer: status code and body."""
    health = worker.health
    stale_after = max(10.0, worker.poll_delay_s * 20)
    database: dict = {"ok": True, "error": None}
    try:
        await asyncio.wait_for(ping_database(), 2.0)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with its reason
        database = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    ready = health.ready(stale_after) and database["ok"]
    since = None if health.last_poll_at is None else round(time.monotonic() - health.last_poll_at, 3)
    body = {
        "status": "ok" if ready else ("stopping" if health.stopping else "unavailable"),
        "redis": {"ok": health.redis_ok, "error": health.last_error, "last_poll_seconds_ago": since},
        "database": database,
        "jobs": {"running": worker.running_jobs(), "complete": worker.jobs_complete,
                 "failed": worker.jobs_failed, "retried": worker.jobs_retried},
        "stopping": health.stopping,
    }
    return (200 if ready else 503), body


def _response(status: int, body: dict | bytes, head: bool, content_type: str = "application/json") -> bytes:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    lines = [f"HTTP/1.1 {status} {REASONS[status]}", f"Content-Type: {content_type}",
             f"Content-Length: {len(payload)}", "Cache-Control: no-store", "Connection: close"]
    if status == 405:
        lines.append("Allow: GET, HEAD")
    if status == 401:
        lines.append('WWW-Authenticate: Bearer realm="metrics"')
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head else payload)


def _metrics(metrics: MetricsPage, peer: str | None, head: bytes, is_head: bool) -> bytes:
    headers = Headers()
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.add(name.strip(), value.strip())
    status = metrics.allowed(peer, headers)
    if status != 200:
        return _response(status, {"status": "send the metrics token" if status == 401 else "not from here"}, is_head)
    return _response(200, metrics.render(), is_head, metrics.content_type)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  ready: Callable[[], Awaitable[tuple[int, dict]]], metrics: MetricsPage | None = None) -> None:
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
            head = await reader.readuntil(b"\r\n\r\n")
        method, path, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ") + ["", ""]
        path = path.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            status, body = 405, {"status": "method not allowed"}
        elif path == "/healthz":
            status, body = 200, {"status": "ok"}
        elif path == "/readyz":
            status, body = await ready()
        elif path == "/metrics" and metrics is not None:
            peer = (writer.get_extra_info("peername") or (None,))[0]
            writer.write(_metrics(metrics, peer, head, method == "HEAD"))
            await writer.drain()
            return
        else:
            status, body = 404, {"status": "not found"}
        writer.write(_response(status, body, head=method == "HEAD"))
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
        pass  # a probe that hung up or sent garbage gets nothing
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def serve_health(host: str, port: int, worker: ShopWorker,
                       ping_database: Callable[[], Awaitable[None]],
                       metrics: MetricsPage | None = None) -> asyncio.Server:
    """Start the health server (with ``/metrics`` when ``metrics`` is given);
    the caller closes it (``server.close()``)."""
    server = await asyncio.start_server(
        lambda reader, writer: _answer(reader, writer, lambda: readiness(worker, ping_database), metrics),
        host, port, limit=MAX_REQUEST_BYTES)
    log.info("worker.health_listening", host=host, port=port)
    return server
