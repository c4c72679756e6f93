"""Where server-side sessions live: the database (default) or Redis.

Both stores keep, per session, the data (JSON), the kind, the signed-in
user, the creation and last-seen times (Unix seconds), the client's IP
address and user agent. Sessions are addressed by the SHA-256 of their id.
Expiry is checked by :mod:`engine.web.sessions` on every load; the
database store also purges expired rows (``purge_expired``, a cron job) and
Redis drops keys through their TTL.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.db.sql import fetch, fetchone


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


class DatabaseStore:
    """Sessions in the ``sessions`` table (shared by every process)."""

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


class RedisStore:
    """Sessions in Redis under ``<prefix>:s:<sid hash>`` with a TTL, plus a set
    per user (``<prefix>:u:<kind>:<user id>``) for "sign out everywhere"."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.prefix = prefix

    def _key(self, sid_hash: str) -> str:
        return f"{self.prefix}:s:{sid_hash}"

    def _user_key(self, kind: str, user_id: int) -> str:
        return f"{self.prefix}:u:{kind}:{user_id}"

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

    async def save(self, sid_hash: str, record: SessionRecord, ttl: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(sid_hash), self._dump(record), ex=max(ttl, 1))
            if record.user_id is not None:
                pipe.sadd(self._user_key(record.kind, record.user_id), sid_hash)
            await pipe.execute()

    async def touch(self, sid_hash: str, record: SessionRecord, ttl: int) -> None:
        await self.save(sid_hash, record, ttl)

    async def delete(self, sid_hash: str) -> None:
        await self.redis.delete(self._key(sid_hash))

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

    async def close(self) -> None:
        await self.redis.aclose()
