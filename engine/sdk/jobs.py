"""Background jobs: queueing one of the jobs a plugin registers
(``jobs_register``) on the runtime's queue — arq on Redis, or the in-process
runner without Redis."""
from __future__ import annotations

import re
from typing import Any

JOB_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
MAX_NAME = 150
MAX_JOB_ID = 200
MAX_DELAY_SECONDS = 30 * 24 * 3600


async def enqueue(runtime: Any, name: str, *args: Any, job_id: str | None = None,
                  delay_seconds: float | None = None) -> bool:
    """Queue job ``name`` (``<plugin>.<task>``, as registered) with ``args``
    (JSON-like values: arq pickles them). Returns False when a job with the
    same ``job_id`` is queued, running or its result is still kept (so a
    natural key such as ``"erp:push:" + order.number`` queues it once);
    ``delay_seconds`` runs it later (at most 30 days). The job runs at least
    once, in the worker (or in the web process without Redis), and only while
    its plugin is enabled.

    Raises ``ValueError`` for a malformed name, id or delay; the queue's error
    when it cannot take the job (Redis unreachable; without Redis, a job name
    nobody registered). A ``shopwright`` command (``run_command``) has no
    in-process runner: there, queueing needs Redis. Example::

        await sdk.enqueue(runtime, "erp_sync.push_order", order.number, job_id=f"erp:push:{order.number}")
    """
    if not isinstance(name, str) or len(name) > MAX_NAME or not JOB_NAME.match(name):
        raise ValueError(f"job name {str(name)[:MAX_NAME]!r} must be '<plugin>.<task>' in lower_snake_case")
    if job_id is not None and (not isinstance(job_id, str) or not 0 < len(job_id) <= MAX_JOB_ID):
        raise ValueError(f"job_id must be a text of 1 to {MAX_JOB_ID} characters")
    if delay_seconds is not None:
        if isinstance(delay_seconds, bool) or not isinstance(delay_seconds, (int, float)) \
                or not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"delay_seconds must be from 0 to {MAX_DELAY_SECONDS}")
    return await runtime.queue.enqueue(name, *args, _job_id=job_id, _defer_by=delay_seconds)
