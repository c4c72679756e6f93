"""Rate limits of the JSON API: per client IP and per API token.

Every request under ``/api/`` (CORS preflights excepted) counts against its
client IP's limit, and a request with ``Authorization: Bearer`` also against
that token's limit; it must be within both. Over a limit the answer is
``429`` (problem+json) with ``Retry-After`` (whole seconds). Every API
response carries ``RateLimit-Limit`` and ``RateLimit-Remaining`` of the
tightest limit it was counted against.

The algorithm is GCRA (a token bucket without a refill timer): a limit of
``n`` per ``window`` allows a burst of ``n`` and then one request every
``window / n`` seconds. State lives in the process (:class:`MemoryLimiter`)
or, when ``redis_url`` is set, in Redis (:class:`RedisLimiter`, one atomic
Lua script per check, keyed under the queue name) so every process shares it.
A Redis that cannot be reached lets requests through (logged): the API stays
up when the limiter's store is down.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

import structlog
from quart import Quart, current_app, g, request

from engine.web.problems import Problem
from engine.web.client import client_ip, header

log = structlog.get_logger("shopwright.ratelimit")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: float


#: Clock differences below this are rounding, not time (see :func:`_gcra`).
SLACK_SECONDS = 1e-6


def _gcra(tat: float, at: float, limit: int, window: float) -> tuple[Decision, float | None]:
    """One GCRA step: the decision and the new theoretical arrival time (None: refused)."""
    interval = window / limit
    tat = max(tat, at)
    # How far the key is booked ahead, compared to the microsecond: clock
    # sums round (``at + 60 - 60`` can exceed ``at``), and that alone refused
    # the first request of a fresh key with a limit of 1.
    ahead = tat - at
    if ahead > window - interval + SLACK_SECONDS:
        return Decision(False, limit, 0, ahead - (window - interval)), None
    new_tat = tat + interval
    remaining = max(int((window - interval - ahead + SLACK_SECONDS) // interval), 0)
    return Decision(True, limit, remaining, 0.0), new_tat


class MemoryLimiter:
    """Limits counted in this process."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._last_prune = time.monotonic()

    async def hit(self, key: str, limit: int, window: float) -> Decision:
        at = time.monotonic()
        self._prune(at)
        decision, new_tat = _gcra(self._tat.get(key, at), at, limit, window)
        if new_tat is not None:
            self._tat[key] = new_tat
        return decision

    def _prune(self, at: float) -> None:
        if at - self._last_prune < 60:
            return
        self._last_prune = at
        for key, tat in list(self._tat.items()):
            if tat < at:
                del self._tat[key]

    async def close(self) -> None:
        pass


_GCRA_LUA = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = window / limit
local tat = tonumber(redis.call('GET', key) or now)
if tat < now then tat = now end
local slack = tonumber(ARGV[3])
local ahead = tat - now
if ahead > window - interval + slack then
  return {0, 0, tostring(ahead - (window - interval))}
end
local new_tat = tat + interval
redis.call('SET', key, tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
local remaining = math.floor((window - interval - ahead + slack) / interval)
if remaining < 0 then remaining = 0 end
return {1, remaining, '0'}
"""


class RedisLimiter:
    """Limits shared by every process through Redis (Redis' clock)."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis

        self.prefix = prefix
        self.client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.script = self.client.register_script(_GCRA_LUA)

    async def hit(self, key: str, limit: int, window: float) -> Decision:
        try:
            allowed, remaining, wait = await self.script(keys=[f"{self.prefix}{key}"],
                                                         args=[limit, window, SLACK_SECONDS])
        except Exception as exc:  # the limiter's store is down: fail open
            log.warning("ratelimit.unavailable", error=repr(exc))
            return Decision(True, limit, limit, 0.0)
        return Decision(bool(allowed), limit, int(remaining), float(wait))

    async def close(self) -> None:
        await self.client.aclose()


async def check_address(app: Quart, ip: str) -> Decision | None:
    """Count one API request against ``ip``'s limit (None: no such limit)."""
    api = app.settings.api
    if not api.rate_limit_per_ip:
        return None
    return await app.rate_limiter.hit(f"ip:{ip}", api.rate_limit_per_ip, api.rate_limit_window_seconds)


def _bearer() -> str | None:
    scheme, _, value = header("Authorization").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def make_limiter(settings):
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, f"{settings.jobs.queue_name}:ratelimit:")
    return MemoryLimiter()


def install(app: Quart) -> None:
    """Count every ``/api/`` request (not preflights) before it is handled."""
    settings = app.settings
    app.rate_limiter = make_limiter(settings)

    @app.before_request
    async def _limit() -> None:
        if not request.path.startswith("/api/") or request.method == "OPTIONS":
            return
        api = settings.api
        checks: list[tuple[str, int]] = []
        if api.rate_limit_per_ip:
            checks.append((f"ip:{client_ip()}", api.rate_limit_per_ip))
        token = _bearer()
        if token and api.rate_limit_per_token:
            checks.append((f"token:{hashlib.sha256(token.encode()).hexdigest()[:32]}", api.rate_limit_per_token))
        tightest: Decision | None = None
        for key, limit in checks:
            decision = await current_app.rate_limiter.hit(key, limit, api.rate_limit_window_seconds)
            if not decision.allowed:
                g.rate_limit = decision
                kind = "token" if key.startswith("token:") else "client address"
                raise Problem(429, "Too many requests",
                              f"The rate limit of this {kind} ({limit} requests per "
                              f"{api.rate_limit_window_seconds:g} s) is used up; retry later.",
                              type_="/problems/rate-limited")
            if tightest is None or decision.remaining < tightest.remaining:
                tightest = decision
        if tightest is not None:
            g.rate_limit = tightest

    @app.after_request
    async def _headers(response):
        decision: Decision | None = g.get("rate_limit")
        if decision is not None:
            response.headers["RateLimit-Limit"] = str(decision.limit)
            response.headers["RateLimit-Remaining"] = str(decision.remaining)
            if not decision.allowed:
                response.headers["Retry-After"] = str(max(1, math.ceil(decision.retry_after)))
        return response

    @app.after_serving
    async def _close() -> None:
        await app.rate_limiter.close()
