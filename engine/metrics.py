"""Prometheus metrics, one registry per runtime (no global state).

Label values are bounded: route *templates* (never paths), plugin and hook
names, gateway ids, exception class names of :class:`engine.errors.ShopError`.
Gauges about shared state (queue, outbox) are set when ``/metrics`` is read
(:func:`engine.jobs.overview.observe`), with a few bounded reads.

Several Hypercorn workers: ``shopwright serve --workers N`` gives them one
directory (:data:`MULTIPROC_ENV`, prometheus-client's multiprocess mode)
before they start; each keeps its values in files there, and whichever
worker answers ``/metrics`` sums all of them (:meth:`Metrics.render`).

The metric names are a contract:
``deploy/grafana/shopwright-dashboard.json`` and ``deploy/prometheus/alerts.yml``
use them (``tests/test_ops_dashboards.py`` checks every name they use exists).
"""
from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

#: HookError reasons (engine.plugins.calls) that name a kind of failure other than "raised"
_DEADLINE_PREFIX = "missed its "
_BREAKER_PREFIX = "left out for "

#: gauges describe state every process sees alike (queue, outbox): under several
#: workers the page shows the latest value any of them set
SHARED = "mostrecent"
#: prometheus-client's multiprocess switch: a directory the worker processes of
#: one server share, set by ``shopwright serve --workers N`` (N > 1) before they start
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The shared metrics directory when values are kept across worker processes."""
    return os.environ.get(MULTIPROC_ENV) or None


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "shopwright_http_requests_total", "HTTP requests by route, method and status",
            ["route", "method", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "shopwright_http_request_duration_seconds", "HTTP request latency by route",
            ["route", "method"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.jobs = Counter(
            "shopwright_jobs_total", "Background jobs by name and outcome (enqueued, succeeded, retried, failed, dropped)",
            ["job", "outcome"], registry=self.registry,
        )
        self.outbox_relayed = Counter(
            "shopwright_outbox_relayed_total", "Outbox events handed to the job queue", registry=self.registry,
        )
        self.hook_duration = Histogram(
            "shopwright_hook_duration_seconds", "Time in one plugin's implementation of a hook",
            ["plugin", "hook"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.hook_failures = Counter(
            "shopwright_hook_failures_total", "Hook implementations that failed, by plugin, hook and reason "
            "(raised, deadline, breaker_open)", ["plugin", "hook", "reason"], registry=self.registry,
        )
        self.checkouts = Counter(
            "shopwright_checkouts_total", "Checkout submissions by outcome (placed, replayed, refused, error) and "
            "reason (the refusal's error class, e.g. out_of_stock, invalid_input, plugin_failure)",
            ["outcome", "reason"], registry=self.registry,
        )
        self.payment_calls = Counter(
            "shopwright_payment_gateway_calls_total", "Calls to payment gateways by gateway, call and outcome "
            "(ok, failed, timeout; unknown: a capture, refund or void with no answer)", ["gateway", "call", "outcome"], registry=self.registry,
        )
        self.cache_lookups = Counter(
            "shopwright_cache_lookups_total", "Cache lookups by kind and result (hit, miss); kind 'response' is "
            "the page cache", ["kind", "result"], registry=self.registry,
        )

        # set when /metrics is read (engine.jobs.overview.observe): what /admin/jobs shows
        def gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, documentation, labels, registry=self.registry, multiprocess_mode=SHARED)

        self.jobs_queued = gauge("shopwright_jobs_queued", "Jobs queued or deferred")
        self.jobs_running = gauge("shopwright_jobs_running", "Jobs running")
        self.jobs_failed = gauge("shopwright_jobs_failed", "Jobs that failed for good, while their results are kept")
        self.jobs_dead_letters = gauge("shopwright_jobs_dead_letters",
                                       "Jobs that failed for good by plugin, while their results are kept", ("plugin",))
        self.outbox_pending = gauge("shopwright_outbox_pending", "Domain events not yet handed to the job queue")
        self.queue_depth = gauge("shopwright_queue_depth", "Jobs in the queue (due now, or deferred)", ("state",))
        self.queue_oldest_age = gauge("shopwright_queue_oldest_job_age_seconds",
                                      "How long the oldest job that is due has waited to start (0: none waits)")
        #: monotonic time the /admin/jobs figures were last read (engine.jobs.overview.observe)
        self.jobs_read_at: float | None = None
        self.outbox_lag = gauge("shopwright_outbox_lag_seconds",
                                "Age of the oldest domain event not yet relayed (0: none)")

    # ------------------------------------------------------------ call sites
    def cache_lookup(self, kind: str, hit: bool) -> None:
        """Count one cache lookup (:attr:`engine.cache.store.Cache.on_lookup`)."""
        self.cache_lookups.labels(kind, "hit" if hit else "miss").inc()

    def instrument_hooks(self, attempt: Callable) -> Callable:
        """Wrap :meth:`engine.plugins.calls.HookCaller._attempt` (one hook
        implementation's call): its time by plugin and hook, and its failures
        by reason — ``raised``, ``deadline`` (missed it) or ``breaker_open``
        (left out after repeated failures)."""
        duration, failures = self.hook_duration, self.hook_failures
        timers: dict[tuple[str, str], Any] = {}  # labelled children, looked up once per (plugin, hook)

        @functools.wraps(attempt)
        async def timed(name: str, contract: Any, impl: Any, *args: Any) -> tuple[bool, Any]:
            started = time.perf_counter()
            try:
                ok, result = await attempt(name, contract, impl, *args)
            except Exception as exc:
                failures.labels(impl.plugin, name, _failure_reason(exc)).inc()
                raise
            finally:
                timer = timers.get((impl.plugin, name))
                if timer is None:
                    timer = timers[impl.plugin, name] = duration.labels(impl.plugin, name)
                timer.observe(time.perf_counter() - started)
            if not ok:
                failures.labels(impl.plugin, name, _failure_reason(result)).inc()
            return ok, result

        return timed

    def render(self) -> bytes:
        """The Prometheus text page: this process's registry, or — under
        several Hypercorn workers (:func:`multiprocess_dir` set) — every
        worker's values summed from their files (counters, histograms) and
        the most recent value of each gauge (they describe shared state)."""
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)


def _failure_reason(error: Any) -> str:
    reason = getattr(error, "reason", "")
    if reason.startswith(_DEADLINE_PREFIX):
        return "deadline"
    if reason.startswith(_BREAKER_PREFIX):
        return "breaker_open"
    return "raised"
