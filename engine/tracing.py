"""Traces (OpenTelemetry): requests, hook calls, SQL statements and jobs.

Off by default (``[tracing] enabled = false``), and then free: OpenTelemetry is
not imported, every helper here returns a shared no-op at the cost of one
module-global check, and nothing is stored with outbox rows or jobs. On, this
process gets its own ``TracerProvider`` (service name, sampler
``ParentBased(TraceIdRatioBased(sample_ratio))``, an OTLP/HTTP exporter when
``otlp_endpoint`` is set) — never OpenTelemetry's global one, so nothing else
in the process is affected. The state is per process, like the database
engine of :mod:`engine.db.sql`: each web process and worker configures it from
its settings when its :class:`~engine.runtime.Runtime` is made.

The instrumentation points each call one helper:

- the ASGI app (:func:`instrument`, in ``create_app``): a server span per
  request, renamed to the matched route template (:func:`name_request`);
- every hook implementation call (:func:`traced_hook_attempt` on
  ``HookCaller._attempt``): ``hook <name>`` with ``shopwright.plugin`` and
  ``shopwright.hook``, an error status when the implementation failed;
- every statement the engines run (:func:`statement`, in
  :mod:`engine.db.traced`): ``db.system`` and the statement text with its
  placeholders (never the values);
- every job (:func:`traced_job`, in ``wrap_job``): ``job <name>``, a child of
  whatever span was current when it was enqueued — the enqueuing side stores
  the W3C ``traceparent`` in the job's keyword argument :data:`JOB_KWARG`
  (:func:`job_kwargs`), which the wrapper removes before the job function runs;
- domain events: :func:`carrier` is stored with the outbox row, and the relay
  enqueues the event's dispatch job inside :func:`resumed`, so the jobs an
  event starts join the trace of the request that wrote it.

Traces leave the shop for a collector, so they hold no personal data: no raw
path or query (cart ids, access tokens), no client address or user agent
unless ``record_client_address`` is on, and failure messages (a hook's, a
job's exception) are scrubbed of e-mail addresses, card-like numbers and IP
addresses (:func:`scrub`); a failed job records its exception's type and the
scrubbed message, not its traceback.
"""
from __future__ import annotations

import contextlib
import functools
import json
import re
from typing import Any, Awaitable, Callable, Iterator

#: the job keyword argument that carries the enqueuer's trace context
JOB_KWARG = "_trace"
#: longest statement text recorded on a span
STATEMENT_LIMIT = 2000
#: longest stored trace context (a ``traceparent`` is 55 characters)
CARRIER_LIMIT = 512

_OFF = contextlib.nullcontext()
_tracer: Any = None
_provider: Any = None
_propagator: Any = None
_configured: tuple | None = None
_record_client = False

_EMAIL = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[A-Za-z]{2,}")
_CARD_LIKE = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
                   r"|(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{0,4}::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{0,4}")
#: longest failure message recorded on a span
MESSAGE_LIMIT = 500


def scrub(message: str) -> str:
    """``message`` without e-mail addresses, card-like numbers and IP
    addresses (each replaced by a marker), cut to :data:`MESSAGE_LIMIT`."""
    text = _EMAIL.sub("[email]", str(message))
    text = _CARD_LIKE.sub("[number]", text)
    text = _IPV4.sub("[ip]", text)
    text = _IPV6.sub("[ip]", text)
    return text[:MESSAGE_LIMIT]


def configure(settings: Any) -> None:
    """Turn tracing on or off for this process from the ``[tracing]``
    settings (``settings.tracing``, or that section itself). Configuring the
    same settings again keeps the running provider; different ones shut it
    down (flushing what it holds) and start anew."""
    global _tracer, _provider, _propagator, _configured
    options = getattr(settings, "tracing", settings)
    global _record_client
    _record_client = bool(getattr(options, "record_client_address", False))
    key = (options.enabled, options.otlp_endpoint, options.service_name, options.sample_ratio)
    if key == _configured:
        return
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None
    _configured = key
    if not options.enabled:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    from engine import __version__

    provider = TracerProvider(
        resource=Resource.create({"service.name": options.service_name, "service.version": __version__}),
        sampler=ParentBased(TraceIdRatioBased(options.sample_ratio)),
    )
    if options.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=options.otlp_endpoint)))
    _provider, _propagator = provider, TraceContextTextMapPropagator()
    _tracer = provider.get_tracer("shopwright", __version__)


def enabled() -> bool:
    return _tracer is not None


def provider() -> Any:
    """This process's ``TracerProvider`` (None when tracing is off): add a span
    processor to it to see the spans (tests use ``InMemorySpanExporter``)."""
    return _provider


#: how long a stopping process waits for the exporter (a collector that is down must not hold shutdown)
FLUSH_TIMEOUT_MILLIS = 5000


def flush() -> None:
    """Export what the span processors hold (the process is stopping), for at
    most :data:`FLUSH_TIMEOUT_MILLIS`."""
    if _provider is not None:
        _provider.force_flush(FLUSH_TIMEOUT_MILLIS)


# ---------------------------------------------------------------- spans
def span(name: str, **attributes: Any):
    """A span around a block, current while the block runs; a no-op when off."""
    if _tracer is None:
        return _OFF
    return _tracer.start_as_current_span(name, attributes=attributes)


def statement(sql: str, dialect: str):
    """The span of one SQL statement: named by its first keyword, with
    ``db.system`` and ``db.statement`` (placeholders, never values)."""
    if _tracer is None:
        return _OFF
    from opentelemetry.trace import SpanKind

    words = sql.split(None, 1)
    return _tracer.start_as_current_span(
        words[0].upper() if words else "SQL", kind=SpanKind.CLIENT,
        attributes={"db.system": "postgresql" if dialect == "postgres" else "sqlite",
                    "db.statement": sql[:STATEMENT_LIMIT]})


#: server span attributes that hold the raw path or query (cart ids and access tokens live there)
_RAW_TARGET = ("http.target", "url.path")
_RAW_QUERY = ("url.query",)
#: server span attributes that say who the client is (kept only with ``record_client_address``)
_CLIENT = ("net.peer.ip", "net.peer.port", "client.address", "client.port", "net.sock.peer.addr",
           "net.sock.peer.port", "http.client_ip", "http.user_agent", "user_agent.original")


def name_request(method: str, route: str) -> None:
    """Name the current request's server span ``<METHOD> <route template>``
    (the ASGI middleware only knows the raw path, which must not be a name),
    and put the route template where the middleware recorded the raw path,
    query and URL: a path or query may carry a secret (a cart id, an order's
    access token); and blank the client's address and user agent unless
    ``record_client_address`` is on."""
    if _tracer is None:
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    if not current.is_recording():
        return
    current.update_name(f"{method} {route}")
    current.set_attribute("http.route", route)
    recorded = getattr(current, "attributes", None) or {}
    for key in _RAW_TARGET:
        if key in recorded:
            current.set_attribute(key, route)
    for key in _RAW_QUERY + (() if _record_client else _CLIENT):
        if key in recorded:
            current.set_attribute(key, "")
    url = recorded.get("http.url") or recorded.get("url.full")
    if isinstance(url, str):
        origin = url.split("/", 3)[:3]
        for key in ("http.url", "url.full"):
            if key in recorded:
                current.set_attribute(key, "/".join(origin) + route)


def traced_hook_attempt(attempt: Callable[..., Awaitable[tuple[bool, Any]]]) -> Callable[..., Awaitable[tuple[bool, Any]]]:
    """Decorates ``HookCaller._attempt(self, name, contract, impl, ...)``, which
    calls one plugin's implementation and answers ``(ok, result)``: a span
    ``hook <name>`` per call, with the plugin's name and an error status when
    it failed (a failure that raises is recorded as an exception)."""

    @functools.wraps(attempt)
    async def traced(caller: Any, name: str, contract: Any, impl: Any, *rest: Any) -> tuple[bool, Any]:
        if _tracer is None:
            return await attempt(caller, name, contract, impl, *rest)
        from opentelemetry.trace import StatusCode

        with _tracer.start_as_current_span(f"hook {name}", attributes={
                "shopwright.plugin": impl.plugin, "shopwright.hook": name}) as current:
            ok, result = await attempt(caller, name, contract, impl, *rest)
            if not ok:
                current.set_status(StatusCode.ERROR, scrub(str(result)))
            return ok, result

    return traced


# ---------------------------------------------------------------- context across processes
def carrier() -> str | None:
    """The current trace context as JSON W3C headers (``traceparent``, and
    ``tracestate`` when there is one), to store with work done later; None
    when tracing is off or no span is current."""
    if _tracer is None:
        return None
    headers: dict[str, str] = {}
    _propagator.inject(headers)
    if not headers:
        return None
    text = json.dumps(headers, separators=(",", ":"))
    return text if len(text) <= CARRIER_LIMIT else None


def _extract(stored: Any) -> Any:
    """The OpenTelemetry context of a stored :func:`carrier`; None for
    nothing, or for anything that is not one (it is never trusted further)."""
    if not stored or not isinstance(stored, str) or len(stored) > CARRIER_LIMIT:
        return None
    try:
        headers = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        return None
    return _propagator.extract(headers)


@contextlib.contextmanager
def _attached(context: Any) -> Iterator[None]:
    from opentelemetry import context as otel_context

    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


def resumed(stored: str | None):
    """Make a stored :func:`carrier` the current trace context for a block:
    jobs enqueued inside it join that trace."""
    if _tracer is None:
        return _OFF
    context = _extract(stored)
    return _OFF if context is None else _attached(context)


def job_kwargs() -> dict[str, str]:
    """Keyword arguments an enqueue adds to the job: the current trace context
    under :data:`JOB_KWARG`; empty when off or no span is current."""
    stored = carrier()
    return {JOB_KWARG: stored} if stored else {}


def traced_job(name: str, run: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Wrap a job function: removes :data:`JOB_KWARG` (always: a job enqueued
    by a process that traces may run in one that does not) and, when on, runs
    the job in a span ``job <name>`` whose parent is the enqueuer's span."""

    @functools.wraps(run)
    async def job(ctx: dict, *args: Any, **kwargs: Any) -> Any:
        stored = kwargs.pop(JOB_KWARG, None) if kwargs else None
        if _tracer is None:
            return await run(ctx, *args, **kwargs)
        from opentelemetry.trace import SpanKind, StatusCode

        with _tracer.start_as_current_span(f"job {name}", context=_extract(stored), kind=SpanKind.CONSUMER,
                                           record_exception=False, set_status_on_exception=False,
                                           attributes={"shopwright.job": name,
                                                       "shopwright.job_id": str(ctx.get("job_id") or ""),
                                                       "shopwright.job_try": int(ctx.get("job_try") or 1)}) as current:
            try:
                return await run(ctx, *args, **kwargs)
            except BaseException as exc:
                message = scrub(str(exc))
                current.add_event("exception", {"exception.type": type(exc).__qualname__,
                                                "exception.message": message})
                current.set_status(StatusCode.ERROR, f"{type(exc).__qualname__}: {message}")
                raise

    return job


def instrument(app: Any) -> None:
    """Wrap ``app.asgi_app`` (fast path included) in OpenTelemetry's ASGI
    middleware when tracing is on: a server span per request, continuing an
    incoming ``traceparent``."""
    if _tracer is None:
        return
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app.asgi_app = OpenTelemetryMiddleware(app.asgi_app, tracer_provider=_provider,
                                           exclude_spans=["receive", "send"])
