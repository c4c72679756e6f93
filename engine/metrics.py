"""Prometheus metrics, one registry per runtime (no global state)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


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

    def render(self) -> bytes:
        return generate_latest(self.registry)
