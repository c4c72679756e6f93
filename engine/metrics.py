"""Prometheus metrics, one registry per runtime (no global state).

Label values are bounded: route *templates* (never paths), plugin and hook
names, gateway ids, exception class names of :class:`engine.errors.ShopError`.
Gauges about shared state (queue, outbox) are set when ``/metrics`` is read
(:func:`engine.jobs.overview.observe`); per-process counts that are already
kept elsewhere (cache lookups) are read by a collector at scrape time, so
counting them costs the hot path nothing. The metric names are a contract:
``deploy/grafana/shopwright-dashboard.json`` and ``deploy/prometheus/alerts.yml``
use them (``tests/test_ops_metrics.py`` checks every name they use exists).
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: HookError reasons (engine.plugins.calls) that name a kind of failure other than "raised"
_DEADLINE_PREFIX = "missed its "
_BREAKER_PREFIX = "left out for "


class _CacheLookups:
    """Collector: the lookups a :class:`engine.cache.store.Cache` counted, read on scrape."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily("shopwright_cache_lookups", "Cache lookups by kind and result (hit, miss); "
                                     "kind 'response' is the page cache", labels=["kind", "result"])
        for (kind, result), count in sorted(self.cache.lookups.items()):
            family.add_metric([kind, result], count)
        yield family


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._cache_lookups: _CacheLookups | None = None
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
            "(ok, failed, timeout)", ["gateway", "call", "outcome"], registry=self.registry,
        )

        # set when /metrics is read (engine.jobs.overview.observe): what /admin/jobs shows
        self.jobs_queued = Gauge("shopwright_jobs_queued", "Jobs queued or deferred", registry=self.registry)
        self.jobs_running = Gauge("shopwright_jobs_running", "Jobs running", registry=self.registry)
        self.jobs_failed = Gauge("shopwright_jobs_failed", "Jobs that failed for good, while their results are kept",
                                 registry=self.registry)
        self.jobs_dead_letters = Gauge("shopwright_jobs_dead_letters",
                                       "Jobs that failed for good by plugin, while their results are kept",
                                       ["plugin"], registry=self.registry)
        self.outbox_pending = Gauge("shopwright_outbox_pending", "Domain events not yet handed to the job queue",
                                    registry=self.registry)
        self.queue_depth = Gauge("shopwright_queue_depth", "Jobs in the queue (due now, or deferred)",
                                 ["state"], registry=self.registry)
        self.queue_oldest_age = Gauge("shopwright_queue_oldest_job_age_seconds",
                                      "How long the oldest job that is due has waited to start (0: none waits)",
                                      registry=self.registry)
        self.outbox_lag = Gauge("shopwright_outbox_lag_seconds",
                                "Age of the oldest domain event not yet relayed (0: none)", registry=self.registry)

    # ------------------------------------------------------------ call sites
    def watch_cache(self, cache: Any) -> None:
        """Expose ``cache.lookups`` (``{(kind, "hit"|"miss"): count}``) on scrape;
        a later call (a new app on the same runtime) replaces the cache watched."""
        if self._cache_lookups is not None:
            self.registry.unregister(self._cache_lookups)
        self._cache_lookups = _CacheLookups(cache)
        self.registry.register(self._cache_lookups)

    def instrument_hooks(self, attempt: Callable) -> Callable:
        """Wrap :meth:`engine.plugins.calls.HookCaller._attempt` (one hook
        implementation's call): its time by plugin and hook, and its failures
        by reason — ``raised``, ``deadline`` (missed it) or ``breaker_open``
        (left out after repeated failures)."""
        duration, failures = self.hook_duration, self.hook_failures

        @functools.wraps(attempt)
        async def timed(name: str, contract: Any, impl: Any, *args: Any) -> tuple[bool, Any]:
            started = time.perf_counter()
            try:
                ok, result = await attempt(name, contract, impl, *args)
            except Exception as exc:
                failures.labels(impl.plugin, name, _failure_reason(exc)).inc()
                raise
            finally:
                duration.labels(impl.plugin, name).observe(time.perf_counter() - started)
            if not ok:
                failures.labels(impl.plugin, name, _failure_reason(result)).inc()
            return ok, result

        return timed

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _failure_reason(error: Any) -> str:
    reason = getattr(error, "reason", "")
    if reason.startswith(_DEADLINE_PREFIX):
        return "deadline"
    if reason.startswith(_BREAKER_PREFIX):
        return "breaker_open"
    return "raised"
