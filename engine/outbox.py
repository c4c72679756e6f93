"""The transactional outbox: domain events written with the change they describe.

Call :func:`emit` inside the same ``runtime.database.transaction()`` as the
domain write: the event then exists if and only if the change committed.
After the commit, ``runtime.events_committed()`` wakes the relay (it also
runs every ``jobs.relay_interval_seconds``).

The relay (:func:`relay_outbox`) hands unrelayed events, oldest first, to the
job queue as ``core.dispatch_event`` under the job id ``event:<id>``; the
dispatch job enqueues one ``core.deliver_event`` job per subscribed plugin
under ``event:<id>:<plugin>``. Relaying twice (two processes, or a crash after
the enqueue and before ``relayed_at`` is written) enqueues nothing new while
the first job is queued or its result is kept, so each plugin's handler runs
once; a handler that raises is retried on its own.

When the queue cannot take the event (Redis down), the event stays unrelayed
with ``attempts`` and ``last_error`` recorded, and the next round tries again.
With the in-process runner (nothing durable outside the database) an event
is marked relayed only when every job it caused has finished, so a process
that stops mid-way relays it again after the restart; the process first claims
the event with a lease (``claimed_by``/``claimed_until``), so several web
processes sharing one database never run the same event twice, and a crashed
process's claim expires.

The statements of the hot path (emit, claim, load, relay) are plain SQL:
they run several times per order, and Piccolo's query builder costs more
than the statement itself.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import structlog

from engine import tracing
from engine.db.sql import fetch, fetchone, placeholders
from engine.events import DomainEvent
from engine.system.tables import OutboxEvent

log = structlog.get_logger("shopwright.outbox")

DISPATCH_JOB = "core.dispatch_event"
DELIVER_JOB = "core.deliver_event"


def event_job_id(event_id: int) -> str:
    """Job id of the dispatch job of one event."""
    return f"event:{event_id}"


def delivery_job_id(event_id: int, plugin: str) -> str:
    """Job id of one plugin's delivery of one event."""
    return f"event:{event_id}:{plugin}"


async def emit(name: str, payload: dict[str, Any] | None = None) -> int:
    """Write a domain event; joins the caller's open transaction (call it inside
    ``runtime.database.transaction()``). ``payload`` must be JSON-serialisable
    (dates and decimals become strings). Returns the event id."""
    return (await emit_many([(name, payload)]))[0]


async def emit_many(events: Sequence[tuple[str, dict[str, Any] | None]]) -> list[int]:
    """:func:`emit` for several events in one statement (ids in the given
    order: one ``INSERT`` numbers its rows in order on both engines)."""
    if not events:
        return []
    for name, _ in events:
        if not name or len(name) > 100:
            raise ValueError(f"event name must be 1 to 100 characters, got {name!r}")
    now = datetime.now(timezone.utc)
    trace = tracing.carrier()  # the request's trace, continued by the event's jobs (None: not traced)
    values: list[Any] = []
    for name, payload in events:
        values += [name, json.dumps(payload or {}, default=str), now, trace]
    rows = await fetch("INSERT INTO outbox_events (name, payload, created_at, attempts, trace_context) VALUES "
                       + ", ".join(["({}, {}, {}, 0, {})"] * len(events)) + " RETURNING id", *values)
    return sorted(row["id"] for row in rows)


async def load_event(event_id: int) -> DomainEvent | None:
    row = await fetchone("SELECT id, name, payload, created_at FROM outbox_events WHERE id = {}", event_id)
    if row is None:
        return None
    return DomainEvent(id=row["id"], name=row["name"], payload=json.loads(row["payload"]), created_at=row["created_at"])


async def _record_failure(event_id: int, exc: BaseException) -> None:
    await OutboxEvent.update(
        {OutboxEvent.attempts: OutboxEvent.attempts + 1,
         OutboxEvent.last_error: f"{type(exc).__name__}: {exc}"[:500]}
    ).where(OutboxEvent.id == event_id).run()
    log.warning("outbox.relay_failed", event_id=event_id, error=repr(exc))


async def _claim(event_id: int, token: str, lease_seconds: float) -> bool:
    """Atomically take event ``event_id`` for this process (conditional UPDATE,
    both engines): True unless another live process holds it."""
    now = datetime.now(timezone.utc)
    rows = await fetch(
        "UPDATE outbox_events SET claimed_by = {}, claimed_until = {} WHERE id = {} AND relayed_at IS NULL "
        "AND (claimed_until IS NULL OR claimed_until < {} OR claimed_by = {}) RETURNING id",
        token, now + timedelta(seconds=lease_seconds), event_id, now, token)
    return bool(rows)


async def release_claims(token: str) -> None:
    """Give up this process's claims on events it did not finish (graceful stop),
    so another process takes them at once instead of after the lease."""
    await OutboxEvent.update({OutboxEvent.claimed_by: None, OutboxEvent.claimed_until: None}).where(
        (OutboxEvent.claimed_by == token) & OutboxEvent.relayed_at.is_null()
    ).run()


async def relay_outbox(queue, limit: int = 200) -> int:
    """Hand unrelayed events to ``queue``, oldest first, and mark them relayed.

    Stops at the first enqueue failure: that event stays unrelayed with
    ``attempts`` + 1 and ``last_error`` set, and is retried on the next round.
    Returns how many events were marked relayed in this round.
    """
    rows = await fetch("SELECT id, trace_context FROM outbox_events WHERE relayed_at IS NULL ORDER BY id LIMIT {}",
                       limit)
    done: list[int] = []
    durable = getattr(queue, "durable", True)
    try:
        for row in rows:
            event_id = row["id"]
            if not durable:
                state = queue.event_state(event_id)
                if state == "done":
                    done.append(event_id)
                    continue
                if state == "pending":
                    continue
                # Several web processes without Redis each run an in-process
                # runner: only the one holding the claim runs the event.
                if not await _claim(event_id, queue.claim_token, queue.claim_lease_seconds):
                    continue
            try:
                with tracing.resumed(row["trace_context"]):  # the event's jobs join its request's trace
                    await queue.enqueue(DISPATCH_JOB, event_id, _job_id=event_job_id(event_id))
            except Exception as exc:
                await _record_failure(event_id, exc)
                break
            if durable:
                done.append(event_id)
    finally:
        if done:
            await fetch(f"UPDATE outbox_events SET relayed_at = {{}} WHERE id IN ({placeholders(done)}) "
                        "AND relayed_at IS NULL", datetime.now(timezone.utc), *done)
    return len(done)


async def pending_count() -> int:
    """Events not yet relayed (waiting for the queue, or still running in-process)."""
    return await OutboxEvent.count().where(OutboxEvent.relayed_at.is_null()).run()


async def lag_seconds(now: datetime | None = None) -> float:
    """Age of the oldest event not yet relayed, 0 when none waits (one indexed MIN)."""
    row = await fetchone("SELECT MIN(created_at) AS oldest FROM outbox_events WHERE relayed_at IS NULL")
    oldest = row["oldest"] if row else None
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return max(0.0, ((now or datetime.now(timezone.utc)) - oldest).total_seconds())


async def unrelayed(limit: int) -> list[dict]:
    """The oldest events not yet relayed (``id``, ``name``, ``attempts``,
    ``last_error``, ``created_at``), at most ``limit``."""
    return await fetch("SELECT id, name, attempts, last_error, created_at FROM outbox_events "
                       "WHERE relayed_at IS NULL ORDER BY id LIMIT {}", limit)
