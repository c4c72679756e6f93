"""Login throttling: growing delays after repeated failures, per account and
per client IP address.

Failures are counted per key within ``security.login_window_minutes``. Up to
``login_max_failures`` failures of one account (``login_ip_max_failures`` of
one IP address) cost nothing; after that, each further attempt must wait
``login_lockout_seconds × 2^(failures - max)`` seconds (at most
``login_max_lockout_minutes``) after the last failure, or it is refused
without checking the password: HTTP 429 with ``Retry-After``. So the 11th
wrong password for one account within a minute is refused by default. A
successful sign-in clears the account's count (not the address's).

Counts live in the ``login_throttle`` table, shared by every process; the
update is one atomic upsert, so concurrent attempts are all counted. Every
failure and every refusal is logged (``auth.login_failed``,
``auth.login_throttled``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import structlog
from quart import current_app

from engine.db.sql import fetch

log = structlog.get_logger("shopwright.auth")


@dataclass(frozen=True)
class Throttled(Exception):
    """Refused: try again after ``retry_after`` seconds."""

    retry_after: int
    key: str

    def message(self) -> str:
        wait = self.retry_after
        when = f"{wait} seconds" if wait < 120 else f"{math.ceil(wait / 60)} minutes"
        return f"Too many failed sign-in attempts. For your security, please wait {when} before trying again."


def account_key(realm: str, account: str) -> str:
    return f"{realm}:{account.strip().lower()[:320]}"


def ip_key(ip: str) -> str:
    return f"ip:{ip}"


def _limit(key: str) -> int:
    security = current_app.settings.security
    return security.login_ip_max_failures if key.startswith("ip:") else security.login_max_failures


def delay_after(failures: int, limit: int) -> float:
    """Seconds to wait after the last failure, given ``failures`` so far."""
    if failures < limit:
        return 0.0
    security = current_app.settings.security
    return float(min(security.login_lockout_seconds * 2 ** (failures - limit), security.login_max_lockout_minutes * 60))


async def check(*keys: str) -> None:
    """Raise :class:`Throttled` when any key must still wait."""
    if not keys:
        return
    now = time.time()
    window = current_app.settings.security.login_window_minutes * 60
    marks = ", ".join("{}" for _ in keys)
    rows = await fetch(f"SELECT key, failures, first_failure_at, last_failure_at FROM login_throttle "
                       f"WHERE key IN ({marks})", *keys)
    worst = 0.0
    worst_key = ""
    for row in rows:
        if now - row["first_failure_at"] > window:
            continue
        wait = row["last_failure_at"] + delay_after(row["failures"], _limit(row["key"])) - now
        if wait > worst:
            worst, worst_key = wait, row["key"]
    if worst > 0:
        log.warning("auth.login_throttled", key=worst_key, retry_after=math.ceil(worst))
        raise Throttled(math.ceil(worst), worst_key)


async def failure(*keys: str) -> dict[str, int]:
    """Count one failure for each key; returns the counts."""
    now = time.time()
    cutoff = now - current_app.settings.security.login_window_minutes * 60
    counts = {}
    for key in keys:
        rows = await fetch(
            "INSERT INTO login_throttle (key, failures, first_failure_at, last_failure_at) VALUES ({}, 1, {}, {}) "
            "ON CONFLICT (key) DO UPDATE SET "
            "failures = CASE WHEN login_throttle.first_failure_at < {} THEN 1 ELSE login_throttle.failures + 1 END, "
            "first_failure_at = CASE WHEN login_throttle.first_failure_at < {} THEN EXCLUDED.first_failure_at "
            "ELSE login_throttle.first_failure_at END, "
            "last_failure_at = EXCLUDED.last_failure_at RETURNING failures",
            key, now, now, cutoff, cutoff)
        counts[key] = rows[0]["failures"] if rows else 1
    return counts


async def success(*keys: str) -> None:
    """Forget the failures of ``keys`` (the account's, after a good sign-in)."""
    for key in keys:
        await fetch("DELETE FROM login_throttle WHERE key = {}", key)


async def purge_seconds(older_than_seconds: float) -> int:
    """Forget keys whose last failure is older than ``older_than_seconds``
    (no request context needed: the cron job calls it)."""
    rows = await fetch("DELETE FROM login_throttle WHERE last_failure_at < {} RETURNING id",
                       time.time() - older_than_seconds)
    return len(rows)
