"""Background work of the accounts domain (registered by ``core_auth``)."""
from __future__ import annotations

import structlog

from engine.accounts import mail

log = structlog.get_logger("shopwright.accounts")

PURGE_JOB = "core.purge_expired_sessions"


async def handle_event(runtime, event) -> bool:
    """``jobs_handle_event`` for account e-mails (idempotent, see :mod:`mail`)."""
    if event.name != mail.EVENT:
        return False
    return await mail.send_for_token(runtime, int(event.payload["token_id"]))


async def purge_expired(ctx) -> int:
    """Cron: delete expired database sessions and stale throttle counts."""
    from engine.security import throttle
    from engine.security.stores import DatabaseStore

    runtime = ctx["runtime"]
    settings = runtime.settings.security
    store = DatabaseStore()
    removed = await store.purge_expired("shop", settings.session_idle_minutes * 60, settings.session_absolute_hours * 3600)
    removed += await store.purge_expired("staff", settings.staff_session_idle_minutes * 60,
                                         settings.staff_session_absolute_hours * 3600)
    stale = await throttle.purge(throttle.Policy.from_settings(settings, clock=runtime.clock))
    log.info("sessions.purged", sessions=removed, throttle_keys=stale)
    return removed
