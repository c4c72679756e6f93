"""Where server-side sessions live: the database (default) or Redis.

With Redis, :class:`TieredStore` pairs it with the database: a session
begun while Redis cannot be reached is kept in the database for its life
(the web layer remembers where, in the cookie), and a user's sessions are
listed and ended in both. A Redis that cannot be reached raises
:class:`SessionStoreUnavailable`, never a Redis error.

Both stores keep, per session, the data (JSON), the kind, the signed-in
user, the creation and last-seen times (Unix seconds), the client's IP
address and user agent. Sessions are addressed by the SHA-256 of their id.
Expiry is checked by :mod:`engine.web.sessions` on every load; the
database store also purges expired rows (``purge_expired``, a cron job) and
Redis drops keys through their TTL.
"""
from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.exceptions import RedisError

from engine.db.sql import fetch, fetchone

#: after Redis failed, calls fail at once for this long (no connect timeout per request)
REDIS_RETRY_AFTER_SECONDS = 1.0


class SessionStoreUnavailable(ConnectionError):
    """The session store (Redis) cannot be reached; nothing was read or written."""


@dataclass
class SessionRecord:
    data: dict[str, Any]
    kind: str
    user_id: int | None
    created_at: float
    last_seen_at: float
    ip: str = ""
    user_agent: str = ""
    sid_hash: str = field(default="", compare=False)


class SessionStore(Protocol):
    async def load(self, sid_hash: str) -> SessionRecord | None: ...

    async def save(self, sid_hash: str, record: SessionRecord, ttl: int) -> None: ...

    async def touch(self, sid_hash: str, record: SessionRecord, ttl: int) -> None: ...

    async def delete(self, sid_hash: str) -> None: ...

    async def for_user(self, kind: str, user_id: int) -> list[SessionRecord]: ...

    async def delete_for_user(self, kind: str, user_id: int, keep: str | None = None) -> int: ...

    async def purge_expired(self, kind: str, idle: int, absolute: int) -> int: ...

    async def ping(self) -> None:
        """Raise :class:`SessionStoreUnavailable` when the store cannot be reached."""


class DatabaseStore:
    """Sessions in the ``sessions`` table (shared by every process)."""

    name = "database"

    async def ping(self) -> None:
        """Nothing to check: without the database the shop is down anyway."""

    async def load(self, sid_hash: str) -> SessionRecord | None:
        row = await fetchone("SELECT * FROM sessions WHERE sid_hash = {}", sid_hash)
        if row is None:
            return None
        return _record(row)

    async def save(self, sid_hash: str, record: SessionRecord, ttl: int) -> None:
        data = json.dumps(record.data, separators=(",", ":"))
        await fetch(
            "INSERT INTO sessions (sid_hash, kind, user_id, data, created_at, last_seen_at, ip, user_agent) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT (sid_hash) DO UPDATE SET "
            "user_id = EXCLUDED.user_id, data = EXCLUDED.data, last_seen_at = EXCLUDED.last_seen_at",
            sid_hash, record.kind, record.user_id, data, record.created_at, record.last_seen_at, record.ip,
            record.user_agent)

    async def touch(self, sid_hash: str, record: SessionRecord, ttl: int) -> None:
        await fetch("UPDATE sessions SET last_seen_at = {} WHERE sid_hash = {}", record.last_seen_at, sid_hash)

    async def delete(self, sid_hash: str) -> None:
        await fetch("DELETE FROM sessions WHERE sid_hash = {}", sid_hash)

    async def for_user(self, kind: str, user_id: int) -> list[SessionRecord]:
        rows = await fetch("SELECT * FROM sessions WHERE kind = {} AND user_id = {} ORDER BY last_seen_at DESC",
                           kind, user_id)
        return [_record(row) for row in rows]

    async def delete_for_user(self, kind: str, user_id: int, keep: str | None = None) -> int:
        if keep:
            rows = await fetch("DELETE FROM sessions WHERE kind = {} AND user_id = {} AND sid_hash <> {} "
                               "RETURNING id", kind, user_id, keep)
        else:
            rows = await fetch("DELETE FROM sessions WHERE kind = {} AND user_id = {} RETURNING id", kind, user_id)
        return len(rows)

    async def purge_expired(self, kind: str, idle: int, absolute: int) -> int:
        now = time.time()
        rows = await fetch("DELETE FROM sessions WHERE kind = {} AND (last_seen_at < {} OR created_at < {}) "
                           "RETURNING id", kind, now - idle, now - absolute)
        return len(rows)


def _record(row: dict[str, Any]) -> SessionRecord:
    try:
        data = json.loads(row["data"] or "{}")
    except ValueError:
        data = {}
    return SessionRecord(data=data if isinstance(data, dict) else {}, kind=row["kind"], user_id=row["user_id"],
                         created_at=float(row["created_at"]), last_seen_at=float(row["last_seen_at"]),
                         ip=row["ip"] or "", user_agent=row["user_agent"] or "", sid_hash=row["sid_hash"])


def _unavailable_on_redis_errors(method):
    """Turn a Redis or connection error into :class:`SessionStoreUnavailable`,
    and fail at once for :data:`REDIS_RETRY_AFTER_SECONDS` after one."""

    @functools.wraps(method)
    async def call(self: RedisStore, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self.down_until:
            raise SessionStoreUnavailable(f"session store (Redis) unavailable: {self.last_error}")
        try:
            return await method(self, *args, **kwargs)
        except (RedisError, OSError, TimeoutError) as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            self.down_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
            raise SessionStoreUnavailable(f"session store (Redis) unavailable: {self.last_error}") from exc

    return call


class RedisStore:
    """Sessions in Redis under ``<prefix>:s:<sid hash>`` with a TTL, plus a set
    per user (``<prefix>:u:<kind>:<user id>``) for "sign out everywhere".
    Every method raises :class:`SessionStoreUnavailable` when Redis cannot be
    reached; a connection that died (Redis restarted) is retried once."""

    name = "redis"

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 1),
                                    retry_on_error=[RedisConnectionError, RedisTimeoutError])
        self.prefix = prefix
        self.down_until = 0.0
        self.last_error = ""

    def _key(self, sid_hash: str) -> str:
        return f"{self.prefix}:s:{sid_hash}"

    def _user_key(self, kind: str, user_id: int) -> str:
        return f"{self.prefix}:u:{kind}:{user_id}"

    @_unavailable_on_redis_errors
    async def load(self, sid_hash: str) -> SessionRecord | None:
        raw = await self.redis.get(self._key(sid_hash))
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            return SessionRecord(**value, sid_hash=sid_hash)
        except (ValueError, TypeError):
            return None

    def _dump(self, record: SessionRecord) -> str:
        return json.dumps({"data": record.data, "kind": record.kind, "user_id": record.user_id,
                           "created_at": record.created_at, "last_seen_at": record.last_seen_at,
                           "ip": record.ip, "user_agent": record.user_agent}, separators=(",", ":"))

    @_unavailable_on_redis_errors
    async def save(self, sid_hash: str, record: SessionRecord, ttl: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(sid_hash), self._dump(record), ex=max(ttl, 1))
            if record.user_id is not None:
                pipe.sadd(self._user_key(record.kind, record.user_id), sid_hash)
            await pipe.execute()

    @_unavailable_on_redis_errors
    async def touch(self, sid_hash: str, record: SessionRecord, ttl: int) -> None:
        await self.save(sid_hash, record, ttl)

    @_unavailable_on_redis_errors
    async def delete(self, sid_hash: str) -> None:
        await self.redis.delete(self._key(sid_hash))

    @_unavailable_on_redis_errors
    async def for_user(self, kind: str, user_id: int) -> list[SessionRecord]:
        found = []
        members = await self.redis.smembers(self._user_key(kind, user_id))
        for member in members:
            sid_hash = member.decode() if isinstance(member, bytes) else member
            record = await self.load(sid_hash)
            if record is None or record.user_id != user_id:
                await self.redis.srem(self._user_key(kind, user_id), sid_hash)
                continue
            found.append(record)
        return sorted(found, key=lambda r: r.last_seen_at, reverse=True)

    @_unavailable_on_redis_errors
    async def delete_for_user(self, kind: str, user_id: int, keep: str | None = None) -> int:
        count = 0
        for record in await self.for_user(kind, user_id):
            if record.sid_hash != keep:
                await self.delete(record.sid_hash)
                await self.redis.srem(self._user_key(kind, user_id), record.sid_hash)
                count += 1
        return count

    async def purge_expired(self, kind: str, idle: int, absolute: int) -> int:
        return 0  # keys expire on their own

    @_unavailable_on_redis_errors
    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose()


class TieredStore:
    """Redis, with the database for sessions begun while Redis could not be
    reached (``tier("database")``). Single sessions are read and written in
    the tier the caller names (:mod:`engine.web.sessions` keeps it in the
    cookie); a user's sessions are listed and ended in both, and ending them
    raises :class:`SessionStoreUnavailable` before touching either when
    Redis is down, so "sign out everywhere" is never half done."""

    name = "redis"

    def __init__(self, primary: RedisStore, fallback: DatabaseStore) -> None:
        self.primary = primary
        self.fallback = fallback

    def tier(self, where: str) -> SessionStore:
        """``"database"``: the fallback; anything else: Redis."""
        return self.fallback if where == "database" else self.primary

    async def load(self, sid_hash: str) -> SessionRecord | None:
        return await self.primary.load(sid_hash)

    async def save(self, sid_hash: str, record: SessionRecord, ttl: int) -> None:
        await self.primary.save(sid_hash, record, ttl)

    async def touch(self, sid_hash: str, record: SessionRecord, ttl: int) -> None:
        await self.primary.touch(sid_hash, record, ttl)

    async def delete(self, sid_hash: str) -> None:
        await self.primary.delete(sid_hash)

    async def for_user(self, kind: str, user_id: int) -> list[SessionRecord]:
        found = await self.primary.for_user(kind, user_id) + await self.fallback.for_user(kind, user_id)
        return sorted(found, key=lambda r: r.last_seen_at, reverse=True)

    async def delete_for_user(self, kind: str, user_id: int, keep: str | None = None) -> int:
        await self.primary.ping()
        return (await self.primary.delete_for_user(kind, user_id, keep)
                + await self.fallback.delete_for_user(kind, user_id, keep))

    async def purge_expired(self, kind: str, idle: int, absolute: int) -> int:
        return await self.fallback.purge_expired(kind, idle, absolute)

    async def ping(self) -> None:
        await self.primary.ping()

    async def close(self) -> None:
        await self.primary.close()
