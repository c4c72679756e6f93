"""Background jobs, ``/admin/jobs`` (``plugins:write``): jobs queued, running,
failed for good (with the error, the tries and a Retry button) and finished
lately; the cron jobs with their last and next run; each plugin's dead letters
(its failed jobs, and the webhook deliveries that gave up); the outbox backlog
and refused job definitions. The same numbers are on ``/metrics``
(``shopwright_jobs_*``, ``shopwright_outbox_pending``).

The reading and the retry are :mod:`engine.jobs.overview`'s (the JSON API,
:mod:`engine.api.admin_jobs`, reads the same); a retry is audited
(``job.retry``, target ``job_id=<id>``).
"""
from __future__ import annotations

from urllib.parse import quote

from quart import Blueprint, current_app, redirect, request

from engine.admin.access import staff_page
from engine.admin.common import form_fields, refuse
from engine.admin.rendering import render_admin
from engine.jobs import overview as jobs
from engine.jobs.arq_queue import QueueUnavailable
from engine.outbox import pending_count
from engine.web.audit import record
from engine.webhooks.services import stats as webhook_stats

blueprint = Blueprint("admin_jobs", __name__)

PERMISSION = "plugins:write"
LINK = "/admin/jobs"
#: the longest job id a retry form may name
MAX_JOB_ID = 300


@blueprint.get("/admin/jobs")
@staff_page(PERMISSION)
async def jobs_page():
    runtime = current_app.runtime
    context = {"outbox_pending": await pending_count(), "webhooks": await webhook_stats(),
               "refused": dict(getattr(runtime.queue, "refused", {}) or {}),
               "retried": request.args.get("retried", ""), "again": request.args.get("again", "")}
    try:
        snapshot = await jobs.overview(runtime)
    except QueueUnavailable as exc:
        return await render_admin("admin/jobs.html", status=503, unavailable=str(exc), jobs=None, **context)
    return await render_admin("admin/jobs.html", jobs=snapshot, dead_letters=snapshot.dead_letters(), **context)


@blueprint.post("/admin/jobs/retry")
@staff_page(PERMISSION)
async def job_retry():
    job_id = str((await form_fields()).get("job_id", ""))[:MAX_JOB_ID]
    try:
        queued = await jobs.retry(current_app.runtime, job_id)
    except jobs.NotRetryable as exc:
        return await refuse(str(exc), LINK, 404)
    except QueueUnavailable as exc:
        return await refuse(str(exc), LINK, 503)
    await record("job.retry", f"job_id={job_id}", {"queued": queued})
    return redirect(f"{LINK}?{'retried' if queued else 'again'}={quote(job_id, safe='')}", 303)
