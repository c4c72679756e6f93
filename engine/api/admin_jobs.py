"""Admin API for background work under ``/api/v1/admin/jobs`` (``plugins:write``):
the state of the outbox, recent job failures, refused job definitions and
the webhook delivery counts; and a manual outbox relay.

Failures come from the runner: the in-process runner's memory of finished
jobs (while kept), or arq's results in Redis for this shop's queue (kept
``jobs.keep_result_seconds``). Job logs stay the full record.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint, current_app
from quart_schema import validate_querystring, validate_response

from engine.web.guard import require_permission
from engine.web.problems import Problem
from engine.jobs.arq_queue import QueueUnavailable
from engine.jobs.overview import recent_failures
from engine.outbox import pending_count, unrelayed
from engine.webhooks.services import stats as webhook_stats

blueprint = Blueprint("admin_jobs_api", __name__, url_prefix="/api/v1/admin/jobs")
PERMISSION = "plugins:write"


class JobsQuery(BaseModel):
    limit: int = Field(50, ge=1, le=500)


class OutboxEventModel(BaseModel):
    id: int
    name: str
    attempts: int
    last_error: str | None
    created_at: str


class OutboxModel(BaseModel):
    pending: int
    unrelayed: list[OutboxEventModel]


class JobFailureModel(BaseModel):
    job_id: str
    job: str
    tries: int
    error: str
    finished_at: str | None


class WebhookCountsModel(BaseModel):
    pending_deliveries: int
    failed_deliveries: int
    paused_subscriptions: int


class JobsOverviewModel(BaseModel):
    runner: str
    queue_name: str
    outbox: OutboxModel
    failures: list[JobFailureModel]
    refused: dict[str, list[str]]
    webhooks: WebhookCountsModel


class RelayModel(BaseModel):
    relayed: int


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def _failures(runtime, limit: int) -> list[dict[str, Any]]:
    try:
        return await recent_failures(runtime, limit)
    except QueueUnavailable as exc:
        raise Problem(503, "Job queue unavailable", str(exc)) from None


@blueprint.get("")
@require_permission(PERMISSION)
@validate_querystring(JobsQuery)
@validate_response(JobsOverviewModel, 200)
async def overview(query_args: JobsQuery):
    """Outbox backlog, recent job failures, refused jobs and webhook counts."""
    runtime = current_app.runtime
    waiting = await unrelayed(query_args.limit)
    return {
        "runner": runtime.queue.kind,
        "queue_name": runtime.settings.jobs.queue_name,
        "outbox": {"pending": await pending_count(),
                   "unrelayed": [{**row, "created_at": _iso(row["created_at"])} for row in waiting]},
        "failures": await _failures(runtime, query_args.limit),
        "refused": dict(getattr(runtime.queue, "refused", {}) or {}),
        "webhooks": await webhook_stats(),
    }


@blueprint.post("/relay")
@require_permission(PERMISSION)
@validate_response(RelayModel, 200)
async def relay():
    """Relay the outbox now (it also runs every ``jobs.relay_interval_seconds``)."""
    return {"relayed": await current_app.runtime.relay_now()}
