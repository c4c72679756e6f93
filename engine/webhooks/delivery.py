"""Turning events into deliveries, and sending them.

The database is the source of truth: a delivery row exists for every
(subscription, event) pair (unique), and its ``status``/``next_attempt_at``
say what is due. Jobs only wake deliveries up:

- :func:`record_event` (the plugin's ``jobs_handle_event``) writes the
  deliveries of one domain event and schedules them. Re-running it writes
  nothing new.
- :data:`DELIVER_JOB` (:func:`deliver`) claims a due delivery with a
  conditional ``UPDATE`` (a lease, so two jobs never send it at once), sends
  it, logs the attempt and either finishes it or defers the next try with the
  queue's ``_defer_by`` (no worker waits). Retries back off exponentially
  (``retry_base_seconds × 2^(n-1)``, at most ``retry_max_delay_seconds``)
  until ``retry_for_seconds`` have passed since the round's first try; the
  last try falls at or after that point. Then the delivery fails for good, and
  if the subscription has failed ``pause_after_failures`` tries in a row it
  is paused (flag, log, outbox event ``webhook_paused``).
- :data:`SWEEP_JOB` (cron) re-schedules due deliveries whose job was lost
  (the in-process runner keeps jobs in memory) and forgets old bookkeeping
  and finished deliveries past ``retention_days``.

An ordered subscription sends one delivery at a time, oldest event first: a
delivery waits while an earlier one of the same subscription is pending, and
(up to ``order_wait_seconds``) while an earlier event that may concern it has
not been turned into deliveries yet.

Delivery is at least once: a receiver dedupes by the event id (the body's
``id`` and the ``Shopwright-Event-Id`` header).
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog

from engine import __version__, outbox
from engine.db.sql import fetch, fetchone
from engine.events import DomainEvent
from engine.secrets import SecretBox
from engine.webhooks import events as event_types
from engine.webhooks.signing import HEADER, signature_header

log = structlog.get_logger("shopwright.webhooks")

DELIVER_JOB = "core.webhook_deliver"
SWEEP_JOB = "core.webhooks_sweep"
PAUSED_EVENT = "webhook_paused"
#: Extra seconds an attempt's lease lasts beyond the request timeout.
LEASE_MARGIN_SECONDS = 30
#: A job may run this much before the delivery's ``next_attempt_at``.
EARLY_SLACK_SECONDS = 1.0
#: An ordered delivery re-checks this often while an earlier event is in flight.
ORDER_RECHECK_SECONDS = 1.0
#: The sweep re-schedules deliveries due longer ago than this.
SWEEP_GRACE_SECONDS = 30
SWEEP_BATCH = 500
RESPONSE_EXCERPT_BYTES = 1024
USER_AGENT = f"Shopwright-Webhooks/{__version__}"


def now() -> datetime:
    return datetime.now(timezone.utc)


def event_key(event_id: int) -> str:
    """The public id of a domain event (``evt_<outbox id>``)."""
    return f"evt_{event_id}"


def job_id(delivery_id: int, seq: int) -> str:
    return f"webhook:{delivery_id}:{seq}"


def retry_delay(settings, round_attempts: int) -> float:
    """Seconds before the next try after ``round_attempts`` failed tries."""
    delay = settings.retry_base_seconds * (2 ** max(round_attempts - 1, 0))
    return min(delay, settings.retry_max_delay_seconds)


# ---------------------------------------------------------------- scheduling
async def schedule(runtime, delivery_id: int, delay: float = 0.0) -> bool:
    """Queue a delivery job (after ``delay`` seconds). A queue that is down is
    logged, not raised: the sweep schedules the delivery later."""
    row = await fetchone("UPDATE webhook_deliveries SET seq = seq + 1 WHERE id = {} RETURNING seq", delivery_id)
    if row is None:
        return False
    try:
        return await runtime.queue.enqueue(DELIVER_JOB, delivery_id, _job_id=job_id(delivery_id, row["seq"]),
                                           _defer_by=delay if delay > 0 else None)
    except Exception as exc:
        log.warning("webhook.schedule_failed", delivery_id=delivery_id, error=repr(exc))
        return False


def _body(event: DomainEvent, kind: str) -> str:
    created = event.created_at.isoformat() if hasattr(event.created_at, "isoformat") else event.created_at
    return json.dumps({"id": event_key(event.id), "type": kind, "created_at": created, "api_version": "v1",
                       "data": event.payload}, separators=(",", ":"), default=str)


async def record_event(runtime, event: DomainEvent) -> list[int]:
    """Write the deliveries of ``event`` (one per active subscription that wants
    one of its types) and schedule them. Idempotent: a second run writes and
    schedules nothing; returns the ids of the deliveries it wrote. Costs one
    read and no write when no subscription is interested (the seen-mark is
    written only while an ordered subscription exists: nothing else reads it)."""
    if event.name not in event_types.MAPPING:
        return []
    kinds = event_types.webhook_types(event.name, event.payload)
    subscriptions = await fetch(
        "SELECT id, event_types, ordered FROM webhook_subscriptions WHERE active = {} AND start_event_id < {} "
        "ORDER BY id", True, event.id)
    matches = [(row["id"], kind) for row in subscriptions
               if (kind := event_types.type_for(json.loads(row["event_types"]), kinds)) is not None]
    mark = any(row["ordered"] for row in subscriptions)
    if not matches and not mark:
        return []
    created = now()
    inserted: list[int] = []
    async with runtime.database.transaction():
        for subscription_id, kind in matches:
            row = await fetchone(
                "INSERT INTO webhook_deliveries (subscription, event_id, event_type, body, status, attempts, "
                "round_attempts, next_attempt_at, seq, created_at) VALUES ({}, {}, {}, {}, 'pending', 0, 0, {}, 0, {}) "
                "ON CONFLICT (subscription, event_id) DO NOTHING RETURNING id",
                subscription_id, event.id, kind, _body(event, kind), created, created)
            if row is not None:
                inserted.append(row["id"])
        if mark:
            await fetch("INSERT INTO webhook_seen_events (event_id, seen_at) VALUES ({}, {}) "
                        "ON CONFLICT (event_id) DO NOTHING", event.id, created)
    # A delivery written by an earlier run that stopped before scheduling it is
    # due already: the sweep schedules it.
    for delivery_id in inserted:
        await schedule(runtime, delivery_id)
    return inserted


# ---------------------------------------------------------------- ordering
async def _earlier_event_in_flight(runtime, subscription: dict, delivery: dict) -> bool:
    """An earlier domain event that may concern this subscription has not been
    turned into deliveries yet (and is younger than ``order_wait_seconds``)."""
    wait = runtime.settings.webhooks.order_wait_seconds
    if wait <= 0:
        return False
    names = sorted(event_types.MAPPING)
    marks = ", ".join("{}" for _ in names)
    row = await fetchone(
        f"SELECT o.id FROM outbox_events o WHERE o.id > {{}} AND o.id < {{}} AND o.created_at > {{}} "
        f"AND o.name IN ({marks}) AND NOT EXISTS (SELECT 1 FROM webhook_seen_events s WHERE s.event_id = o.id) "
        f"LIMIT 1", subscription["start_event_id"], delivery["event_id"], now() - timedelta(seconds=wait), *names)
    return row is not None


async def _head(subscription_id: int) -> dict | None:
    """The pending delivery of the subscription with the oldest event."""
    return await fetchone("SELECT id, event_id FROM webhook_deliveries WHERE subscription = {} AND status = 'pending' "
                          "ORDER BY event_id, id LIMIT 1", subscription_id)


# ---------------------------------------------------------------- sending
def _secrets(runtime, subscription: dict, at: datetime) -> list[str]:
    box = SecretBox(runtime.settings.secret_key)
    values = [box.decrypt(subscription["secret"])]
    expires = subscription["previous_secret_expires_at"]
    if subscription["previous_secret"] and expires is not None and expires > at:
        values.append(box.decrypt(subscription["previous_secret"]))
    return values


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast \
        or ip.is_unspecified


async def check_public_host(url: str) -> None:
    """Raise ValueError when ``url``'s host resolves to a private, loopback,
    link-local or otherwise non-public address (``block_private_networks``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"cannot resolve {host!r}: {exc}") from None
    for info in infos:
        if _is_private(info[4][0]):
            raise ValueError(f"{host!r} resolves to a non-public address ({info[4][0]})")


async def _send(runtime, subscription: dict, delivery: dict, attempt: int) -> dict[str, Any]:
    """One HTTP attempt: ``{ok, status_code, error, excerpt, duration_ms}``."""
    settings = runtime.settings.webhooks
    body = delivery["body"].encode()
    started = time.perf_counter()
    result: dict[str, Any] = {"ok": False, "status_code": None, "error": None, "excerpt": ""}
    try:
        if settings.block_private_networks:
            await check_public_host(subscription["url"])
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Shopwright-Event-Id": event_key(delivery["event_id"]),
            "Shopwright-Event-Type": delivery["event_type"],
            "Shopwright-Delivery-Id": str(delivery["id"]),
            "Shopwright-Attempt": str(attempt),
            HEADER: signature_header(_secrets(runtime, subscription, now()), body),
        }
        async with httpx.AsyncClient(timeout=settings.timeout_seconds, follow_redirects=False) as client:
            async with client.stream("POST", subscription["url"], content=body, headers=headers) as response:
                result["status_code"] = response.status_code
                excerpt = b""
                async for chunk in response.aiter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= RESPONSE_EXCERPT_BYTES:
                        break
                result["excerpt"] = excerpt[:RESPONSE_EXCERPT_BYTES].decode("utf-8", "replace")
        result["ok"] = 200 <= response.status_code < 300
        if not result["ok"]:
            result["error"] = f"HTTP {response.status_code}"
    except httpx.TimeoutException:
        result["error"] = f"timed out after {settings.timeout_seconds}s"
    except (httpx.HTTPError, ValueError, OSError) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    result["duration_ms"] = int((time.perf_counter() - started) * 1000)
    return result


async def _claim(runtime, delivery_id: int) -> dict | None:
    """Take the lease of a due, pending delivery (None when it is not due,
    not pending or another attempt holds it); counts the attempt."""
    at = now()
    lease = at + timedelta(seconds=runtime.settings.webhooks.timeout_seconds + LEASE_MARGIN_SECONDS)
    return await fetchone(
        "UPDATE webhook_deliveries SET locked_until = {}, attempts = attempts + 1, "
        "round_attempts = round_attempts + 1, first_attempt_at = COALESCE(first_attempt_at, {}), "
        "last_attempt_at = {} WHERE id = {} AND status = 'pending' "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= {}) AND (locked_until IS NULL OR locked_until < {}) "
        "RETURNING *", lease, at, at, delivery_id, at + timedelta(seconds=EARLY_SLACK_SECONDS), at)


async def deliver(runtime, delivery_id: int) -> str:
    """Try one delivery if it is due; returns what happened (for logs and tests):
    ``missing``, ``done``, ``inactive``, ``waiting``, ``queued``, ``busy``,
    ``succeeded``, ``retrying``, ``failed`` or ``deleted`` (the subscription
    was deleted while the request was on its way)."""
    delivery = await fetchone("SELECT id, subscription, event_id, status FROM webhook_deliveries WHERE id = {}",
                              delivery_id)
    if delivery is None:
        return "missing"
    if delivery["status"] != "pending":
        return "done"
    subscription = await fetchone("SELECT * FROM webhook_subscriptions WHERE id = {}", delivery["subscription"])
    if subscription is None or not subscription["active"] or subscription["paused_at"] is not None:
        return "inactive"
    if subscription["ordered"]:
        # Earlier events first, then the head: an earlier event that is seen
        # after the first check already has its delivery when the second runs.
        if await _earlier_event_in_flight(runtime, subscription, delivery):
            await schedule(runtime, delivery_id, ORDER_RECHECK_SECONDS)
            return "waiting"
        head = await _head(subscription["id"])
        if head is not None and head["id"] != delivery_id:
            return "queued"
    claimed = await _claim(runtime, delivery_id)
    if claimed is None:
        return "busy"
    started = now()
    result = await _send(runtime, subscription, claimed, claimed["attempts"])
    outcome = await _record(runtime, subscription, claimed, started, result)
    log_method = log.info if outcome == "succeeded" else log.warning
    log_method("webhook.attempt", delivery_id=delivery_id, subscription_id=subscription["id"],
               event_id=claimed["event_id"], attempt=claimed["attempts"], status=result["status_code"],
               ms=result["duration_ms"], error=result["error"], outcome=outcome)
    if outcome in ("succeeded", "failed") and subscription["ordered"]:
        head = await _head(subscription["id"])
        if head is not None:
            await schedule(runtime, head["id"])
    return outcome


async def _record(runtime, subscription: dict, delivery: dict, started: datetime, result: dict) -> str:
    """Log the attempt and move the delivery and subscription on, in one
    transaction; schedules the next try of a failed attempt. ``deleted`` when
    the subscription (and with it the delivery) was deleted meanwhile.

    The subscription's row is written first: deleting a subscription locks it
    and then its deliveries, so taking the delivery's row first could deadlock
    with a deletion running at the same time."""
    settings = runtime.settings.webhooks
    at = now()
    delay = 0.0
    paused = False
    async with runtime.database.transaction():
        if result["ok"]:
            counted = await fetchone("UPDATE webhook_subscriptions SET consecutive_failures = 0, last_success_at = {} "
                                     "WHERE id = {} RETURNING consecutive_failures", at, subscription["id"])
        else:
            counted = await fetchone(
                "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1, "
                "last_failure_at = {} WHERE id = {} RETURNING consecutive_failures", at, subscription["id"])
        if counted is None:
            return "deleted"
        await fetch("INSERT INTO webhook_attempts (delivery, number, started_at, duration_ms, status_code, error, "
                    "response_excerpt) VALUES ({}, {}, {}, {}, {}, {}, {})", delivery["id"], delivery["attempts"],
                    started, result["duration_ms"], result["status_code"], result["error"], result["excerpt"])
        if result["ok"]:
            await fetch("UPDATE webhook_deliveries SET status = 'succeeded', delivered_at = {}, locked_until = NULL, "
                        "next_attempt_at = NULL, last_status_code = {}, last_error = NULL WHERE id = {}",
                        at, result["status_code"], delivery["id"])
            outcome = "succeeded"
        else:
            window_end = delivery["first_attempt_at"] + timedelta(seconds=settings.retry_for_seconds)
            if at >= window_end:
                await fetch("UPDATE webhook_deliveries SET status = 'failed', locked_until = NULL, "
                            "next_attempt_at = NULL, last_status_code = {}, last_error = {} WHERE id = {}",
                            result["status_code"], result["error"], delivery["id"])
                outcome = "failed"
                if counted["consecutive_failures"] >= settings.pause_after_failures:
                    paused = await _pause(subscription, delivery, counted["consecutive_failures"], at)
            else:
                delay = min(retry_delay(settings, delivery["round_attempts"]), (window_end - at).total_seconds())
                delay = max(delay, 0.0)
                await fetch("UPDATE webhook_deliveries SET locked_until = NULL, next_attempt_at = {}, "
                            "last_status_code = {}, last_error = {} WHERE id = {}",
                            at + timedelta(seconds=delay), result["status_code"], result["error"], delivery["id"])
                outcome = "retrying"
    if paused:
        runtime.events_committed()
    if outcome == "retrying":
        await schedule(runtime, delivery["id"], delay)
    return outcome


async def _pause(subscription: dict, delivery: dict, failures: int, at: datetime) -> bool:
    reason = (f"delivery {delivery['id']} failed for good after {delivery['attempts']} attempts; "
              f"{failures} failed attempts in a row")
    row = await fetchone("UPDATE webhook_subscriptions SET paused_at = {}, paused_reason = {}, updated_at = {} "
                         "WHERE id = {} AND paused_at IS NULL RETURNING id", at, reason, at, subscription["id"])
    if row is None:
        return False
    await outbox.emit(PAUSED_EVENT, {"subscription_id": subscription["id"], "url": subscription["url"],
                                     "reason": reason, "consecutive_failures": failures,
                                     "delivery_id": delivery["id"]})
    log.warning("webhook.paused", subscription_id=subscription["id"], url=subscription["url"], reason=reason)
    return True


# ---------------------------------------------------------------- sweep
async def sweep(runtime) -> int:
    """Schedule due deliveries whose job is gone (only the head of an ordered
    subscription); forget seen-event marks nobody waits for and finished
    deliveries older than ``retention_days``. Returns how many deliveries
    were scheduled."""
    at = now()
    rows = await fetch(
        "SELECT d.id, d.subscription, d.event_id, s.ordered FROM webhook_deliveries d "
        "JOIN webhook_subscriptions s ON s.id = d.subscription "
        "WHERE d.status = 'pending' AND d.next_attempt_at <= {} AND (d.locked_until IS NULL OR d.locked_until < {}) "
        "AND s.active = {} AND s.paused_at IS NULL ORDER BY d.event_id, d.id LIMIT {}",
        at - timedelta(seconds=SWEEP_GRACE_SECONDS), at, True, SWEEP_BATCH)
    heads: dict[int, int] = {}
    scheduled = 0
    for row in rows:
        if row["ordered"]:
            if row["subscription"] not in heads:
                head = await _head(row["subscription"])
                heads[row["subscription"]] = head["id"] if head else 0
            if heads[row["subscription"]] != row["id"]:
                continue
        scheduled += bool(await schedule(runtime, row["id"]))
    keep = max(runtime.settings.webhooks.order_wait_seconds * 2, 3600)
    await fetch("DELETE FROM webhook_seen_events WHERE seen_at < {}", at - timedelta(seconds=keep))
    await fetch("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < {}",
                at - timedelta(days=runtime.settings.webhooks.retention_days))
    return scheduled


async def wake_subscription(runtime, subscription_id: int) -> int:
    """Start a new retry round for every pending delivery of a subscription
    (after resume or re-activation) and schedule them (the head only, when
    ordered). Returns how many were scheduled."""
    at = now()
    await fetch("UPDATE webhook_deliveries SET next_attempt_at = {}, first_attempt_at = NULL, round_attempts = 0 "
                "WHERE subscription = {} AND status = 'pending'", at, subscription_id)
    subscription = await fetchone("SELECT ordered FROM webhook_subscriptions WHERE id = {}", subscription_id)
    if subscription is None:
        return 0
    if subscription["ordered"]:
        head = await _head(subscription_id)
        ids = [head["id"]] if head else []
    else:
        ids = [row["id"] for row in await fetch(
            "SELECT id FROM webhook_deliveries WHERE subscription = {} AND status = 'pending' ORDER BY event_id, id",
            subscription_id)]
    for delivery_id in ids:
        await schedule(runtime, delivery_id)
    return len(ids)
