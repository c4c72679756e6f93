"""Form submissions sent once: the only writer of ``form_submissions``.

A form that creates something carries a one-time key. :func:`claim` takes it
atomically (a unique key: on both databases exactly one of two concurrent
sendings gets it); the first sending's view then runs and :func:`finish`
records where it led, or :func:`forget` frees the key when it led nowhere (a
validation error: the corrected form is sent again with the same key).
:func:`outcome` tells a later sending what became of the first."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.system.tables import FormSubmission

#: how long a key is remembered
KEEP_FOR = timedelta(days=1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def claim(key: str) -> bool:
    """Take ``key``; False when a sending with it was taken before."""
    now = _now()
    await FormSubmission.delete().where(FormSubmission.created_at < now - KEEP_FOR)
    taken = await FormSubmission.insert(FormSubmission(key=key, location=None, created_at=now)).on_conflict(
        target=FormSubmission.key, action="DO NOTHING").returning(FormSubmission.id)
    return bool(taken)


async def outcome(key: str) -> tuple[bool, str | None]:
    """``(known, location)``: whether ``key`` is taken, and where its sending
    led (None while it is still running)."""
    row = await FormSubmission.select(FormSubmission.location).where(FormSubmission.key == key).first()
    return (True, row["location"]) if row else (False, None)


async def finish(key: str, location: str) -> None:
    """Record that the sending with ``key`` led to ``location``."""
    await FormSubmission.update({FormSubmission.location: location}).where(FormSubmission.key == key)


async def forget(key: str) -> None:
    """Free ``key``: its sending created nothing."""
    await FormSubmission.delete().where(FormSubmission.key == key)
