"""Stored sessions as the services and the HTTP layer share them.

A session is stored under the SHA-256 of its id (:func:`digest`), never the
id itself, in the store :func:`open_store` picks from the settings (the
database, or Redis paired with the database: a session begun while Redis
cannot be reached is kept in the database, see :func:`store_at`). Each process's :class:`~engine.runtime.Runtime` owns one
store (``runtime.session_store``). Services end a user's sessions on a
password change, deactivation or deletion (:func:`end_user_sessions`); the
cookies and the request side are :mod:`engine.web.sessions`.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from engine.security.stores import (
    DatabaseStore,
    RedisStore,
    SessionRecord,
    SessionStore,
    TieredStore,
)
from engine.settings import Settings

SHOP = "shop"
STAFF = "staff"
#: The data key naming the signed-in user of each kind.
USER_KEYS = {SHOP: "customer_id", STAFF: "staff_id"}
#: Where a stored session is kept: the configured store, or the database (a
#: session begun while Redis could not be reached; it stays there for its life).
IN_STORE = "store"
IN_DATABASE = "database"


def digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


@dataclass(frozen=True)
class Timeouts:
    """Seconds a session lives after its last request (``idle``) and after sign-in (``absolute``)."""

    idle: int
    absolute: int


def timeouts(settings: Settings, kind: str) -> Timeouts:
    security = settings.security
    if kind == STAFF:
        return Timeouts(security.staff_session_idle_minutes * 60, security.staff_session_absolute_hours * 3600)
    return Timeouts(security.session_idle_minutes * 60, security.session_absolute_hours * 3600)


def open_store(settings: Settings) -> SessionStore:
    """The store ``security.session_store`` names: Redis (with the database for
    sessions begun while Redis is unreachable) when asked for, or ``auto`` with
    ``redis_url`` set; else the database."""
    choice = settings.security.session_store
    if choice == "redis" or (choice == "auto" and settings.redis_url):
        if not settings.redis_url:
            raise RuntimeError("security.session_store = 'redis' needs redis_url")
        return TieredStore(RedisStore(settings.redis_url, f"{settings.jobs.queue_name}:sessions"), DatabaseStore())
    return DatabaseStore()


def store_at(store: SessionStore, where: str) -> SessionStore:
    """The store holding a session kept ``where`` (:data:`IN_STORE` or :data:`IN_DATABASE`)."""
    if isinstance(store, TieredStore):
        return store.tier(where)
    return store if where == IN_STORE or isinstance(store, DatabaseStore) else DatabaseStore()


def has_fallback(store: SessionStore) -> bool:
    """Whether a new session can be kept in the database when ``store`` is unreachable."""
    return isinstance(store, TieredStore)


async def close_store(store: SessionStore) -> None:
    if isinstance(store, (RedisStore, TieredStore)):
        await store.close()


async def ensure_reachable(store: SessionStore) -> None:
    """Raise :class:`~engine.security.stores.SessionStoreUnavailable` when some
    session can't be reached (Redis down). A service whose change must end a
    user's sessions calls it before writing, so the change is refused, not half
    done (answered 503 "try again" by the web layer)."""
    await store.ping()


async def end_user_sessions(store: SessionStore, kind: str, user_id: int, keep_digest: str | None = None) -> int:
    """Delete every session of a user but ``keep_digest``'s; how many ended.
    Raises :class:`~engine.security.stores.SessionStoreUnavailable`, ending
    none, when Redis is down."""
    return await store.delete_for_user(kind, user_id, keep=keep_digest)


async def live_sessions(store: SessionStore, settings: Settings, kind: str, user_id: int) -> list[SessionRecord]:
    """A user's sessions that have not timed out."""
    now = time.time()
    limits = timeouts(settings, kind)
    return [r for r in await store.for_user(kind, user_id)
            if now - r.last_seen_at <= limits.idle and now - r.created_at <= limits.absolute]
