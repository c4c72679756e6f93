"""Hook failures: the circuit breaker, and the record staff see.

:class:`FailureLog` is one process's memory of failing hook implementations:

- **Breaker** (request hooks only): after ``plugins.breaker_failures``
  consecutive failures of one plugin's implementation of one hook (or of one
  method of a provider it returned), :meth:`FailureLog.allows` says no for
  ``plugins.breaker_cooldown_seconds``; the call after the cool-down tries
  again, and one success closes the circuit. ``breaker_failures = 0`` turns
  the breaker off. Per process: each process finds out on its own.
- **Record**: every failure updates the plugin's latest failure (hook,
  message, time) and adds to its count. :meth:`FailureLog.flush` stores what
  changed in the ``plugin_failures`` table (one upsert per plugin, at most
  once per ``plugins.failure_record_interval_seconds`` per plugin unless
  forced), so every process and the CLI read it (:meth:`FailureLog.read`)
  without a write per request. The table is not change-counted: storing a
  failure never empties a cache.

Nothing here raises because a write fails: a record that cannot be stored is
logged and kept for the next flush.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import structlog

log = structlog.get_logger("shopwright.plugins")

#: longest message kept
MESSAGE_LIMIT = 1000


@dataclass(frozen=True)
class HookFailure:
    """A plugin's latest hook failure: ``hook`` (with the provider method, e.g.
    ``fulfillment_shipping_providers:quotes``), ``message``, ``at`` (aware
    datetime) and ``count``, every failure recorded for the plugin so far."""

    plugin: str
    hook: str
    message: str
    at: datetime
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"hook": self.hook, "message": self.message, "at": self.at.isoformat(), "count": self.count}


class FailureLog:
    """Breaker state and unstored failure records of one process (see the module docstring)."""

    def __init__(self, breaker_failures: int, cooldown_seconds: float, record_interval_seconds: float) -> None:
        self.breaker_failures = breaker_failures
        self.cooldown_seconds = cooldown_seconds
        self.record_interval_seconds = record_interval_seconds
        self._streak: dict[tuple[str, str], int] = {}
        self._open_until: dict[tuple[str, str], float] = {}
        #: plugin -> latest failure seen here, with ``count`` = failures not yet stored
        self._pending: dict[str, HookFailure] = {}
        #: plugin -> latest failure seen here (stored or not), for this process's own reports
        self._latest: dict[str, HookFailure] = {}
        self._stored_at: dict[str, float] = {}

    # ------------------------------------------------------------ breaker
    def allows(self, plugin: str, hook: str) -> bool:
        """False while the circuit of ``plugin``'s ``hook`` is open."""
        if not self._open_until:
            return True
        until = self._open_until.get((plugin, hook))
        return until is None or time.monotonic() >= until

    def reopens_in(self, plugin: str, hook: str) -> float:
        """Seconds until an open circuit lets a call through again."""
        until = self._open_until.get((plugin, hook))
        return max(0.0, until - time.monotonic()) if until is not None else 0.0

    def succeeded(self, plugin: str, hook: str) -> None:
        """A call went well: its circuit closes."""
        if self._streak:
            key = (plugin, hook)
            if self._streak.pop(key, None) is not None:
                self._open_until.pop(key, None)

    def failed(self, plugin: str, hook: str, message: str, breaker: bool = True) -> None:
        """Record a failure; with ``breaker``, count it towards opening the circuit."""
        now = datetime.now(timezone.utc)
        message = message[:MESSAGE_LIMIT]
        pending = self._pending.get(plugin)
        self._pending[plugin] = HookFailure(plugin, hook, message, now, (pending.count if pending else 0) + 1)
        latest = self._latest.get(plugin)
        self._latest[plugin] = HookFailure(plugin, hook, message, now, (latest.count if latest else 0) + 1)
        if not breaker or self.breaker_failures <= 0:
            return
        key = (plugin, hook)
        streak = self._streak[key] = self._streak.get(key, 0) + 1
        if streak >= self.breaker_failures:
            self._open_until[key] = time.monotonic() + self.cooldown_seconds
            log.warning("hook.circuit_open", plugin=plugin, hook=hook, failures=streak,
                        cooldown=self.cooldown_seconds)

    # ------------------------------------------------------------ record
    async def flush(self, force: bool = False) -> int:
        """Store the pending records that are due (all of them with ``force``);
        returns how many plugins' records were written."""
        if not self._pending:
            return 0
        from engine.db.sql import fetch

        now = time.monotonic()
        written = 0
        for plugin, failure in list(self._pending.items()):
            if not force and now - self._stored_at.get(plugin, float("-inf")) < self.record_interval_seconds:
                continue
            try:
                await fetch(
                    "INSERT INTO plugin_failures (plugin, hook, message, failed_at, failures) VALUES ({}, {}, {}, {}, {}) "
                    "ON CONFLICT (plugin) DO UPDATE SET hook = excluded.hook, message = excluded.message, "
                    "failed_at = excluded.failed_at, failures = plugin_failures.failures + excluded.failures",
                    plugin, failure.hook, failure.message, failure.at, failure.count)
            except Exception as exc:  # the database may be why the plugin fails; try again later
                log.warning("hook.failure_not_stored", plugin=plugin, error=repr(exc))
                continue
            current = self._pending.get(plugin)
            if current is failure:
                del self._pending[plugin]
            elif current is not None:  # failed again while this was written
                self._pending[plugin] = replace(current, count=current.count - failure.count)
            self._stored_at[plugin] = now
            written += 1
        return written

    async def read(self) -> dict[str, HookFailure]:
        """Every plugin's latest failure: what any process stored, with what this
        process has not stored yet (newer wins; counts add up)."""
        from engine.db.sql import fetch

        found: dict[str, HookFailure] = {}
        for row in await fetch("SELECT plugin, hook, message, failed_at, failures FROM plugin_failures"):
            at = row["failed_at"]
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            if at is not None and at.tzinfo is None:
                at = at.replace(tzinfo=timezone.utc)
            found[row["plugin"]] = HookFailure(row["plugin"], row["hook"], row["message"], at, int(row["failures"]))
        for plugin, pending in self._pending.items():
            stored = found.get(plugin)
            if stored is None or pending.at >= stored.at:
                found[plugin] = replace(pending, count=pending.count + (stored.count if stored else 0))
            else:
                found[plugin] = replace(stored, count=stored.count + pending.count)
        return found

    def seen(self) -> dict[str, HookFailure]:
        """This process's own latest failure per plugin (no database)."""
        return dict(self._latest)
