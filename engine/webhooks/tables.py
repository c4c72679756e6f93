"""Webhook tables: subscriptions, deliveries (one per subscription and event),
attempts (one per try) and the events the webhook plugin has seen.

Composite indexes (the unique ``(subscription, event_id)`` pair among them)
are created by the raw-SQL migration; Piccolo's column options only express
single-column indexes.
"""
from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class WebhookSubscription(Table, tablename="webhook_subscriptions"):
    """A merchant's endpoint. ``event_types`` is a JSON list (``["*"]``: all);
    ``secret``/``previous_secret`` are encrypted (:class:`engine.secrets.SecretBox`).
    ``active`` is the merchant's switch; ``paused_at`` is set by the engine when
    deliveries keep failing. ``start_event_id``: outbox events up to this id
    happened before the subscription existed."""

    id = Serial(primary_key=True)
    url = Varchar(length=2000)
    description = Varchar(length=500, default="")
    event_types = Text(default="[]")
    ordered = Boolean(default=False)
    active = Boolean(default=True)
    secret = Text()
    previous_secret = Text(null=True, default=None)
    previous_secret_expires_at = Timestamptz(null=True, default=None)
    secret_rotated_at = Timestamptz(null=True, default=None)
    paused_at = Timestamptz(null=True, default=None)
    paused_reason = Text(default="")
    consecutive_failures = Integer(default=0)
    last_success_at = Timestamptz(null=True, default=None)
    last_failure_at = Timestamptz(null=True, default=None)
    start_event_id = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class WebhookDelivery(Table, tablename="webhook_deliveries"):
    """One event for one subscription. ``body`` is the exact JSON sent on every
    attempt. ``status``: pending → succeeded | failed. ``attempts`` counts every
    try; ``round_attempts`` and ``first_attempt_at`` the tries of the current
    retry round (a manual redelivery or a resume starts a new round).
    ``locked_until`` is the lease of the attempt in progress; ``seq`` numbers
    the jobs scheduled for it (their job ids)."""

    id = Serial(primary_key=True)
    subscription = ForeignKey(WebhookSubscription, on_delete=OnDelete.cascade)
    event_id = Integer()
    event_type = Varchar(length=100)
    body = Text()
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    round_attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    first_attempt_at = Timestamptz(null=True, default=None)
    last_attempt_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    locked_until = Timestamptz(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Text(null=True, default=None)
    seq = Integer(default=0)
    created_at = Timestamptz()


class WebhookAttempt(Table, tablename="webhook_attempts"):
    """One try of a delivery: HTTP status (null when no response), duration,
    error, the start of the response body, and whether staff asked for it."""

    id = Serial(primary_key=True)
    delivery = ForeignKey(WebhookDelivery, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    started_at = Timestamptz()
    duration_ms = Integer(default=0)
    status_code = Integer(null=True, default=None)
    error = Text(null=True, default=None)
    response_excerpt = Text(default="")


class WebhookSeenEvent(Table, tablename="webhook_seen_events"):
    """Outbox events the webhook plugin has turned into deliveries (ordered
    subscriptions wait for earlier events that are not here yet)."""

    event_id = Integer(primary_key=True)
    seen_at = Timestamptz()


TABLES = [WebhookSubscription, WebhookDelivery, WebhookAttempt, WebhookSeenEvent]
