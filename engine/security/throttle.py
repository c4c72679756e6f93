"""Login throttling: growing delays after repeated failures, per account and
per client IP address, that hold however many attempts arrive at once.

Keys: ``customer:<email>``, ``staff:<email>``, ``totp:<staff id>``,
``reset:<email>`` (an account's limit, :attr:`Policy.account_limit`) and
``ip:<address>`` (an address's limit, :attr:`Policy.ip_limit`).

**Reservations.** An attempt is counted *before* its secret is checked:
:func:`reserve` counts one failure for each key with one conditional upsert
per key, and counts nothing (the upsert changes no row) when the key must
still wait — then it raises :class:`Throttled` and the caller checks
nothing. A right answer then gives the reservation back
(:func:`succeeded`): the account's count is cleared, each other key's count
goes back down by one. Because the database decides each reservation on the
row as it is at that moment (PostgreSQL locks the row; SQLite runs one
writer at a time), N attempts racing for one key are counted one after the
other, and at most ``limit`` of them are let through before the delay
applies. An attempt whose process dies before the answer stays counted as a
failure (the safe side).

**Delays.** With ``f`` failures counted and a limit ``L``: none while
``f < L``; otherwise an attempt must wait ``lockout × 2^(f − L)`` seconds
after the last failure, at most ``max_lockout``. So with the defaults the
11th wrong password for one account within the window is refused, and a
patient attacker's delays grow 30 s, 60 s, … up to 60 minutes.

**Forgetting.** Below the limit, failures are counted within ``window``
seconds from the first one; after that the count starts again (so an address
shared by many honest people — an office, a mobile network — is not locked
out by typos spread over the day). Once the limit is reached, the count is
kept until ``window`` seconds have passed after its delay ran out (the last
failure + its delay + ``window``): a lockout always lasts its whole delay,
and an attacker who waits each one out meets the next, doubled, up to the
maximum.

Counts live in the ``login_throttle`` table (there is no Redis variant),
shared by every web process. This module is a domain module: it is given its
:class:`Policy` (limits and a clock) by the caller and never reads the
request or the app. Every refusal is logged (``auth.login_throttled``); the
sign-in services log the failures.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import structlog

from engine.db.sql import fetch, fetchone

log = structlog.get_logger("shopwright.auth")

#: longest key kept (an e-mail address is at most 320 characters)
MAX_KEY_LENGTH = 400


@dataclass(frozen=True)
class Throttled(Exception):
    """Refused: try again after ``retry_after`` seconds (at least 1)."""

    retry_after: int
    key: str

    def message(self) -> str:
        wait = self.retry_after
        when = f"{wait} seconds" if wait < 120 else f"{math.ceil(wait / 60)} minutes"
        return f"Too many failed sign-in attempts. For your security, please wait {when} before trying again."


@dataclass(frozen=True)
class Policy:
    """The limits and the clock the throttle applies.

    ``account_limit`` failures of one account (``ip_limit`` of one address)
    cost nothing; ``lockout_seconds`` is the first delay after that,
    ``max_lockout_seconds`` the longest; ``window_seconds`` the quiet time
    after which a count is forgotten. ``clock`` returns Unix seconds (the
    wall clock unless a test gives another)."""

    account_limit: int
    ip_limit: int
    window_seconds: int
    lockout_seconds: int
    max_lockout_seconds: int
    clock: Callable[[], float] = field(default=time.time, compare=False)

    @classmethod
    def from_settings(cls, security, clock: Callable[[], float] = time.time) -> "Policy":
        """The policy of the ``[security]`` settings (``login_max_failures``,
        ``login_ip_max_failures``, ``login_window_minutes``,
        ``login_lockout_seconds``, ``login_max_lockout_minutes``)."""
        return cls(account_limit=int(security.login_max_failures), ip_limit=int(security.login_ip_max_failures),
                   window_seconds=int(security.login_window_minutes) * 60,
                   lockout_seconds=int(security.login_lockout_seconds),
                   max_lockout_seconds=max(int(security.login_max_lockout_minutes) * 60,
                                           int(security.login_lockout_seconds)),
                   clock=clock)

    def limit_for(self, key: str) -> int:
        """The number of failures of ``key`` that cost nothing."""
        return self.ip_limit if key.startswith("ip:") else self.account_limit

    def delay_after(self, failures: int, limit: int) -> int:
        """Seconds an attempt must wait after the last failure, given
        ``failures`` so far."""
        if failures < limit:
            return 0
        steps = failures - limit
        if steps >= 62 or self.lockout_seconds << steps >= self.max_lockout_seconds:
            return self.max_lockout_seconds
        return self.lockout_seconds << steps

    def _delay_sql(self, limit: int) -> str:
        """:meth:`delay_after` of the row's ``failures`` as an SQL expression
        (bounded: one branch per doubling below the maximum)."""
        branches = [f"WHEN login_throttle.failures < {int(limit)} THEN 0"]
        steps = 0
        while self.lockout_seconds << steps < self.max_lockout_seconds:
            branches.append(f"WHEN login_throttle.failures = {int(limit) + steps} "
                            f"THEN {int(self.lockout_seconds << steps)}")
            steps += 1
        return f"(CASE {' '.join(branches)} ELSE {int(self.max_lockout_seconds)} END)"


def account_key(realm: str, account: str) -> str:
    """The key of an account of ``realm`` (``customer``, ``staff``, ``reset``)."""
    return f"{realm}:{account.strip().lower()[:320]}"


def ip_key(ip: str) -> str:
    """The key of a client address."""
    return f"ip:{ip[:80]}"


async def _reserve_one(policy: Policy, key: str, now: float) -> int | None:
    """Count one attempt for ``key`` unless it must wait: its new count, or
    None (nothing changed)."""
    limit = policy.limit_for(key)
    delay = policy._delay_sql(limit)
    window = int(policy.window_seconds)
    stale = (f"(CASE WHEN login_throttle.failures < {int(limit)} THEN login_throttle.first_failure_at + {window} "
             f"ELSE login_throttle.last_failure_at + {delay} + {window} END) <= {{}}")
    row = await fetchone(
        "INSERT INTO login_throttle (key, failures, first_failure_at, last_failure_at) VALUES ({}, 1, {}, {}) "
        "ON CONFLICT (key) DO UPDATE SET "
        f"failures = CASE WHEN {stale} THEN 1 ELSE login_throttle.failures + 1 END, "
        f"first_failure_at = CASE WHEN {stale} THEN EXCLUDED.first_failure_at "
        "ELSE login_throttle.first_failure_at END, "
        "last_failure_at = EXCLUDED.last_failure_at "
        f"WHERE {stale} OR login_throttle.failures < {int(limit)} OR login_throttle.last_failure_at + {delay} <= {{}} "
        "RETURNING failures",
        key, now, now, now, now, now, now)
    return None if row is None else int(row["failures"])


async def _wait_of(policy: Policy, key: str, now: float) -> int:
    row = await fetchone("SELECT failures, last_failure_at FROM login_throttle WHERE key = {}", key)
    if row is None:
        return 1
    wait = row["last_failure_at"] + policy.delay_after(int(row["failures"]), policy.limit_for(key)) - now
    return max(1, math.ceil(wait))


async def _give_back(*keys: str) -> None:
    for key in keys:
        await fetch("UPDATE login_throttle SET failures = failures - 1 WHERE key = {} AND failures > 0", key)


async def reserve(policy: Policy, *keys: str) -> dict[str, int]:
    """Count one attempt (as a failure, until :func:`succeeded` says
    otherwise) for each of ``keys``, before the secret is checked; returns
    each key's count including this attempt.

    Raises :class:`Throttled` when any key must still wait: then nothing
    stays counted (the keys reserved before the refusing one are given
    back) and the caller must not check the secret."""
    now = policy.clock()
    counts: dict[str, int] = {}
    for key in keys:
        key = key[:MAX_KEY_LENGTH]
        count = await _reserve_one(policy, key, now)
        if count is None:
            await _give_back(*counts)
            wait = await _wait_of(policy, key, now)
            log.warning("auth.login_throttled", key=key, retry_after=wait)
            raise Throttled(wait, key)
        counts[key] = count
    return counts


async def succeeded(account: str, *others: str) -> None:
    """The reserved attempt was right: forget the failures of ``account``
    (the account or two-factor key) and give back the reservation of each of
    ``others`` (the address keys), whose earlier failures still count."""
    await fetch("DELETE FROM login_throttle WHERE key = {}", account[:MAX_KEY_LENGTH])
    await _give_back(*(key[:MAX_KEY_LENGTH] for key in others))


async def purge(policy: Policy) -> int:
    """Delete rows whose count is forgotten by now whatever it is (the last
    failure older than the longest delay plus the window); returns how many."""
    cutoff = policy.clock() - policy.max_lockout_seconds - policy.window_seconds
    rows = await fetch("DELETE FROM login_throttle WHERE last_failure_at < {} RETURNING id", cutoff)
    return len(rows)
