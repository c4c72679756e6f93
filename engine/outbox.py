"""The transactional outbox: domain events written with the change they describe.

Call :func:`emit` inside the same ``database.transaction()`` as the domain
write; the event then exists if and only if the change committed. The relay
(:func:`relay_outbox`) hands unrelayed events to the job queue under the job
id ``event:<id>``, so relaying twice (two processes, or a crash after enqueue
and before ``relayed_at`` is written) still runs one job.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import structlog

from engine.events import DomainEvent
from engine.system.tables import OutboxEvent

log = structlog.get_logger("shopwright.outbox")

DISPATCH_JOB = "core.dispatch_event"


async def emit(name: str, payload: dict[str, Any] | None = None) -> int:
    """Write a domain event; joins the caller's transaction. Returns its id."""
    rows = await OutboxEvent.insert(
        OutboxEvent(name=name, payload=json.dumps(payload or {}, default=str), created_at=datetime.now(timezone.utc))
    ).returning(OutboxEvent.id).run()
    return rows[0]["id"]


async def load_event(event_id: int) -> DomainEvent | None:
    row = await OutboxEvent.select().where(OutboxEvent.id == event_id).first().run()
    if row is None:
        return None
    return DomainEvent(id=row["id"], name=row["name"], payload=json.loads(row["payload"]), created_at=row["created_at"])


async def relay_outbox(queue, limit: int = 200) -> int:
    """Enqueue unrelayed events oldest first; stops at the first enqueue failure
    (the event stays unrelayed and is retried on the next round). Returns how
    many events were relayed."""
    rows = await (
        OutboxEvent.select(OutboxEvent.id, OutboxEvent.name)
        .where(OutboxEvent.relayed_at.is_null())
        .order_by(OutboxEvent.id)
        .limit(limit)
        .run()
    )
    relayed = 0
    for row in rows:
        try:
            await queue.enqueue(DISPATCH_JOB, row["id"], _job_id=f"event:{row['id']}")
        except Exception as exc:
            await OutboxEvent.update(
                {OutboxEvent.attempts: OutboxEvent.attempts + 1, OutboxEvent.last_error: repr(exc)[:500]}
            ).where(OutboxEvent.id == row["id"]).run()
            log.warning("outbox.relay_failed", event_id=row["id"], error=repr(exc))
            break
        await OutboxEvent.update({OutboxEvent.relayed_at: datetime.now(timezone.utc)}).where(
            OutboxEvent.id == row["id"]
        ).run()
        relayed += 1
    return relayed


async def pending_count() -> int:
    return await OutboxEvent.count().where(OutboxEvent.relayed_at.is_null()).run()
