"""Operations endpoints: liveness, readiness and Prometheus metrics.

``/metrics`` is not public: :func:`metrics_allowed` decides who may read it
(``[ops]`` settings: a bearer token, or the networks a request may come
from — loopback by default).
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time

import structlog
from quart import Blueprint, Response, current_app, request

from engine import __version__
from engine.jobs.overview import observe

log = structlog.get_logger("shopwright.ops")

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
async def healthz():
    """The process is alive and serving (no dependency is checked)."""
    return {"status": "ok", "version": __version__}


async def _check(coro_factory, timeout: float = 2.0) -> dict:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(coro_factory(), timeout)
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


async def _failures(runtime) -> dict:
    try:
        return {name: failure.to_json() for name, failure in (await runtime.host.failures()).items()}
    except Exception as exc:  # the database check says why
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


@blueprint.get("/readyz")
async def readyz():
    """Ready to take traffic: the database answers and the job queue is reachable.
    The session store's reachability is reported (``sessions``) but does not
    make the shop unready (sessions fall back to the database).
    Plugin and theme load problems (one line each, by name, plugins and themes
    installed while running included) and each plugin's latest hook failure
    (``failures``) are reported but do not make the shop unready (a broken
    plugin is skipped, the store keeps running). 503 when not ready."""
    runtime = current_app.runtime
    database = await _check(runtime.database.ping)
    database["dialect"] = runtime.database.dialect
    queue = await _check(runtime.queue.ping)
    queue["kind"] = runtime.queue.kind
    # Reported, not required: without Redis new sessions are kept in the database.
    sessions = await _check(runtime.session_store.ping)
    sessions["store"] = runtime.session_store.name
    plugins = {
        "active": runtime.host.active,
        "errors": runtime.host.errors(),
        "failures": await _failures(runtime),
    }
    ready = database["ok"] and queue["ok"]
    body = {
        "status": "ok" if ready else "unavailable",
        "version": __version__,
        "database": database,
        "queue": queue,
        "sessions": sessions,
        "plugins": plugins,
    }
    themes = getattr(current_app, "theme_state", None)
    if themes is not None:  # like plugins: a broken theme is reported, the store keeps running
        body["themes"] = {"active": themes.active,
                          "errors": {name: theme.error for name, theme in sorted(themes.themes.items()) if theme.error}}
    return body, (200 if ready else 503)


#: what Quart reports as the peer when the server gave no client address
#: (the test client, a UNIX socket): a connection from this machine
NO_PEER = "<local>"


def _in_networks(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(network) for network in networks)


def metrics_allowed(ops, *, peer: str | None, headers) -> int:
    """Who may read ``/metrics``: 200 (allowed), 401 (a token is set and
    was not shown) or 403 (no token is set; not from an allowed network).

    Allowed: ``Authorization: Bearer <ops.metrics_token>`` (compared in
    constant time; an empty setting matches nothing); or a request whose
    connection (``peer``; none at all counts as this machine) and every
    ``X-Forwarded-For`` hop lie in ``ops.metrics_networks``. A request
    carrying ``Forwarded`` or ``X-Real-IP`` is never allowed by network (a
    proxy's request is not local because the proxy is), so a proxy on the
    same machine does not open ``/metrics`` to the world — whatever
    ``security.trusted_proxies`` says."""
    token = ops.metrics_token
    given = headers.get("Authorization", "")[:600]
    scheme, _, credentials = given.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return 200
    refused = 401 if token else 403
    networks = ops.metrics_networks
    if not networks or "Forwarded" in headers or "X-Real-IP" in headers:
        return refused
    hops = [hop for hop in headers.get("X-Forwarded-For", "")[:2000].split(",") if hop.strip()]
    addresses = ["127.0.0.1" if peer in (None, "", NO_PEER) else peer, *hops]
    return 200 if all(_in_networks(address, networks) for address in addresses) else refused


@blueprint.get("/metrics")
async def metrics():
    """Prometheus text of this process, for whom :func:`metrics_allowed`
    lets in (401 with ``WWW-Authenticate: Bearer``, or 403, for others)."""
    runtime = current_app.runtime
    status = metrics_allowed(runtime.settings.ops, peer=request.remote_addr, headers=request.headers)
    if status == 401:
        return Response("Send the metrics token: Authorization: Bearer <ops.metrics_token>.\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, content_type="text/plain")
    if status == 403:
        return Response("/metrics does not answer to this address (ops.metrics_networks).\n", 403,
                        content_type="text/plain")
    try:
        await observe(runtime)
    except Exception as exc:  # the database may be down: the counters are still worth reading
        log.warning("metrics.jobs_not_observed", error=repr(exc))
    return Response(runtime.metrics.render(), content_type=runtime.metrics.content_type)
