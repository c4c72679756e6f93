"""The process's Sentry client: started when the plugin becomes active here,
closed when it stops being active (``lifecycle_activation``), so enabling,
disabling or reconfiguring the plugin needs no restart.

Integrations: Quart (every request through the ASGI app: an unexpected
exception is an event, with the request's route), arq (a job that fails in a
``shopwright worker``) and nothing auto-enabled. Log records are neither
events nor breadcrumbs: the shop logs through structlog, and plugin and job
failures arrive through ``lifecycle_failure`` (:func:`capture_failure`),
tagged with the plugin.

Each exception reaches Sentry once: the Quart and arq integrations may see
an exception that :func:`capture_failure` already sent (a job that failed
for good, a plugin's exception chained into a ``HookError``), so
:func:`drop_repeats` drops an event whose exception — or one it was raised
from — was sent before.
"""
from __future__ import annotations

import threading
import sentry_sdk
from sentry_sdk.integrations.arq import ArqIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.quart import QuartIntegration

from engine.protocols import FailureReport
from shopwright_ops_sentry.scrub import scrub_event
from shopwright_ops_sentry.settings import SentrySettings

#: how long closing the client waits to send what it holds
CLOSE_TIMEOUT_SECONDS = 2.0

#: the attribute that marks an exception already sent
SENT_MARK = "_shopwright_sentry_sent"

_lock = threading.Lock()
_current: SentrySettings | None = None


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def drop_repeats(event: dict, hint: dict | None) -> dict | None:
    """None for an event whose exception (or one in its chain) was sent
    already. A sent exception is marked with :data:`SENT_MARK` (built-in
    exceptions cannot be weakly referenced; a mark dies with the exception)."""
    exc_info = (hint or {}).get("exc_info")
    exc = exc_info[1] if exc_info else None
    if exc is None:
        return event
    with _lock:
        chain = list(_chain(exc))
        if any(getattr(link, SENT_MARK, False) for link in chain):
            return None
        for link in chain:
            try:
                setattr(link, SENT_MARK, True)
            except (AttributeError, TypeError):  # an exception type without attributes of its own
                pass
    return event


def before_send(event: dict, hint: dict | None) -> dict | None:
    event = drop_repeats(event, hint)
    return None if event is None else scrub_event(event, hint)


def start(settings: SentrySettings) -> bool:
    """(Re)start the client with ``settings``; False (and no client) without a DSN."""
    global _current
    close()
    if not settings.dsn:
        return False
    sentry_sdk.init(
        dsn=settings.dsn,
        environment=settings.environment,
        release=settings.release_tag(),
        sample_rate=settings.sample_rate,
        traces_sample_rate=settings.traces_sample_rate,
        # no personal data by default: send_default_pii stays off (its default; the option is deprecated)
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_send_transaction=scrub_event,
        before_breadcrumb=lambda crumb, hint: scrub_event({"breadcrumbs": crumb})["breadcrumbs"],
        auto_enabling_integrations=False,
        integrations=[QuartIntegration(transaction_style="url"), ArqIntegration(),
                      LoggingIntegration(level=None, event_level=None)],
    )
    _current = settings
    return True


def close() -> None:
    """Send what the client holds (at most :data:`CLOSE_TIMEOUT_SECONDS`) and stop it."""
    global _current
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=CLOSE_TIMEOUT_SECONDS)
    sentry_sdk.get_global_scope().set_client(None)
    _current = None


def active() -> bool:
    return _current is not None and sentry_sdk.get_client().is_active()


def capture_failure(failure: FailureReport) -> None:
    """One event for a plugin's hook failure or a job that failed for good,
    tagged ``plugin`` (and ``hook`` or ``job``). Queued for the client's
    sender thread: no network I/O here."""
    if not active():
        return
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("plugin", failure.plugin)
        scope.set_tag("failure", failure.kind)
        if failure.hook:
            scope.set_tag("hook", failure.hook)
        if failure.job:
            scope.set_tag("job", failure.job)
        if failure.exception is not None:
            sentry_sdk.capture_exception(failure.exception)
        else:
            where = failure.hook or failure.job
            sentry_sdk.capture_message(f"plugin {failure.plugin}: {where} {failure.message}", level="error")


def flush(timeout: float = 5.0) -> None:
    if active():
        sentry_sdk.flush(timeout=timeout)
