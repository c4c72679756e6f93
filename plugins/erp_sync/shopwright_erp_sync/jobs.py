"""The plugin's jobs and event handling (worker side).

- ``erp_sync.pull``: a pull (:func:`shopwright_erp_sync.sync.pull`), run by
  the cron every ``interval_minutes`` and on demand (``shopwright erp pull``
  with Redis, the admin). An unreachable ERP is retried with backoff (3
  tries), then the pull waits for the next run: the cursor has not moved, so
  nothing is lost.
- ``erp_sync.push_order(number)``: one paid order to the ERP, queued by the
  ``order_paid`` event with job id ``erp:push:<number>``. An unreachable ERP
  is retried with backoff (``jobs.retry_backoff_seconds`` × 2^(try-1)) up to
  :data:`PUSH_TRIES` tries; after the last one, or at once when the ERP
  refuses the order (a fault), the order is dead-lettered with the error
  (``shopwright erp retry`` sends it again). Running twice pushes once.
- ``erp_sync.retry(dead letter id)``: one dead letter tried again (the
  admin page's button); tried once: a failure updates the dead letter.
- ``order_cancelled`` and ``order_refunded`` of a pushed order are sent in
  the event's own job, once per event (the sale order cancelled; a refund
  noted on it); one that arrives before the order's push is retried.
- ``stock_changed`` events of any origin but ``erp_sync`` are sent to the
  ERP in the event's own job (retried by the core on failure).
"""
from __future__ import annotations

from typing import Any

from engine import sdk
from engine.protocols import JobDefinition

from shopwright_erp_sync import store, sync
from shopwright_erp_sync.connector import ErpFault, ErpUnavailable

NAME = "erp_sync"
PUSH_TRIES = 5


async def _with_connector(runtime: Any, work):
    settings = sdk.plugin_settings(runtime, NAME)
    connector = sync.connector_for(runtime, settings)
    try:
        return await work(connector)
    finally:
        await connector.aclose()


async def pull_job(ctx: dict, full: bool = False) -> dict[str, Any]:
    runtime = ctx["runtime"]
    return await _with_connector(runtime, lambda connector: sync.pull(runtime, connector, full=full))


async def push_order_job(ctx: dict, number: str) -> str | None:
    runtime = ctx["runtime"]
    try:
        erp_id, _ = await _with_connector(runtime, lambda connector: sync.push_order(runtime, connector, number))
        return erp_id
    except ErpFault as exc:
        await store.dead_letter(runtime, "order", number, f"refused by the ERP: {exc}")
        return None
    except ValueError as exc:  # the settings lost what the connector needs: wait for them
        await store.dead_letter(runtime, "order", number, str(exc))
        return None
    except ErpUnavailable as exc:
        if (ctx.get("job_try") or 1) >= PUSH_TRIES:
            await store.dead_letter(runtime, "order", number, f"ERP unavailable after {PUSH_TRIES} tries: {exc}")
            return None
        raise


async def retry_job(ctx: dict, dead_letter_id: int) -> bool | None:
    """Retry one dead letter (the admin page's button); None when it is no longer open."""
    runtime = ctx["runtime"]
    row = next((item for item in await store.open_dead_letters() if item["id"] == dead_letter_id), None)
    if row is None:
        return None
    return await _with_connector(runtime, lambda connector: sync.retry_dead_letter(runtime, connector, row))


def job_definitions(settings: Any) -> list[JobDefinition]:
    """The jobs; the pull's cron runs every ``interval_minutes`` (from the
    settings stored when the worker starts): at the minutes of the hour that
    are multiples of it when it is below 60, else on the hours that are
    multiples of ``interval_minutes // 60``, at minute 0."""
    interval = getattr(settings, "interval_minutes", 15) or 15
    if interval < 60:
        cron = {"minute": set(range(0, 60, interval))}
    else:
        hours = max(interval // 60, 1)
        cron = {"hour": set(range(0, 24, hours)) if hours < 24 else {0}, "minute": {0}}
    return [
        JobDefinition(f"{NAME}.pull", pull_job, cron=cron, max_tries=3),
        JobDefinition(f"{NAME}.push_order", push_order_job, max_tries=PUSH_TRIES),
        JobDefinition(f"{NAME}.retry", retry_job, max_tries=1),
    ]


async def handle_event(event: Any, settings: Any, runtime: Any) -> None:
    """``order_paid`` queues the order's push (dead-lettered at once while the
    plugin is not configured, so that ``shopwright erp retry`` sends it later);
    ``stock_changed`` not of our origin is sent (skipped while not configured)."""
    missing = settings.missing() if settings is not None else ["connector settings"]
    if missing:
        if event.name == "order_paid":
            await store.dead_letter(runtime, "order", event.payload["number"],
                                    f"erp_sync not configured: set {', '.join(missing)}")
        return
    if event.name == "order_paid":
        number = event.payload["number"]
        await sdk.enqueue(runtime, f"{NAME}.push_order", number, job_id=f"erp:push:{number}")
    elif event.name in ("order_cancelled", "order_refunded"):
        await _with_connector(runtime, lambda connector: sync.follow_order(runtime, connector, event))
    elif event.name == "stock_changed" and event.payload.get("origin") != sync.ORIGIN:
        await _with_connector(runtime, lambda connector: sync.push_stock(runtime, connector, event.payload))
