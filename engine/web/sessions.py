"""Server-side sessions.

Two kinds, each with its own cookie and timeouts:

- ``shop``: the shopper's session, which is Quart's ``session`` object
  (:class:`ShopSessionInterface` replaces the signed-cookie default, so
  ``session["customer_id"]`` works as usual but lives on the server);
- ``staff``: the admin's session (cookie ``sw_staff``), loaded only for
  ``/admin`` and ``/api/v1/admin`` requests (:func:`staff_session`).

The cookie holds only an identifier: ``s.<session id>`` for a session in the
configured store, ``d.<session id>`` for one kept in the database because
the configured store (Redis) could not be reached when it began, or
``a.<seed>`` for a visitor who has nothing stored yet (the seed only derives
the CSRF token, so browsing costs no database write). A session is stored
the first time something is put in it. Stored is the SHA-256 of the id,
never the id.

While Redis is down (docs/deploy.md, "When Redis is down"): visitors without
a Redis session shop, sign in and check out on sessions kept in the
database; a request whose cookie names a Redis session is served signed out
where that is harmless (catalog pages, the JSON API) and answered 503 "try
again" (:func:`unavailable_response`) where the session is needed
(:func:`needs_session`: any form post, the cart, checkout, account, order
and admin pages). Ending a user's sessions while Redis is down raises
:class:`~engine.security.stores.SessionStoreUnavailable` before anything is
ended, answered with the same 503.

Cookies are HttpOnly, SameSite=Lax, Path=/; over HTTPS (see
``security.cookie_secure``) they are Secure and named with the ``__Host-``
prefix. A session ends ``idle`` minutes after its last request or
``absolute`` hours after sign-in, whichever comes first.

:func:`rotate` gives the session a new id (and CSRF seed) and deletes the old
one: call it on sign-in and whenever privileges change, so an id known before
(a fixation attempt, a stolen pre-login cookie) is worthless after.
:func:`end` deletes the session (sign-out); :func:`end_other_sessions` and
:func:`end_user_sessions` delete a user's sessions server-side ("sign out
everywhere else", password change, account deletion).
"""
from __future__ import annotations

import contextlib
import re
import secrets
import time
from typing import Any

import structlog
from quart import Quart, current_app, g, request
from quart.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from engine.security import sessions as stored
from engine.security.sessions import (
    IN_DATABASE,
    IN_STORE,
    SHOP,
    STAFF,
    USER_KEYS,
    Timeouts,
    digest,
)
from engine.security.stores import SessionRecord, SessionStore, SessionStoreUnavailable
from engine.web import client

log = structlog.get_logger("shopwright.sessions")

COOKIES = {SHOP: "sw_session", STAFF: "sw_staff"}
#: Paths whose requests never open a session (no database read for them).
SESSIONLESS_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")
#: Paths that use the staff session instead of the shopper's.
STAFF_PREFIXES = ("/admin", "/api/v1/admin")
#: ``last_seen_at`` is written at most this often per session.
TOUCH_SECONDS = 60
#: Cookie prefixes of stored sessions, by where they are kept.
PREFIXES = {IN_STORE: "s", IN_DATABASE: "d"}
WHERE = {prefix: where for where, prefix in PREFIXES.items()}
#: Paths whose pages need the visitor's session (besides every form post).
SESSION_PAGES = ("/cart", "/checkout", "/account", "/orders", "/admin", "/api/v1/admin")
#: Seconds a shopper is asked to wait when the session store is unreachable.
RETRY_AFTER_SECONDS = 30
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def timeouts(kind: str) -> Timeouts:
    return stored.timeouts(current_app.settings, kind)


class ServerSession(CallbackDict, SessionMixin):
    """Session data (a dict) plus what the store needs to know about it.

    ``sid``: the id of the stored session (None until something is stored);
    ``where``: where it is kept (:data:`IN_STORE` or :data:`IN_DATABASE`);
    ``seed``: the CSRF seed; ``detached``: a request authenticated by a bearer
    token, whose session cookie is ignored and never written;
    ``unavailable``: detached because its store could not be reached."""

    def __init__(self, kind: str, data: dict | None = None, sid: str | None = None, seed: str | None = None,
                 record: SessionRecord | None = None, detached: bool = False, where: str = IN_STORE) -> None:
        def on_update(self: ServerSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(data or {}, on_update)
        self.kind = kind
        self.sid = sid
        self.seed = seed
        self.record = record
        self.detached = detached
        self.where = where
        self.unavailable = False
        self.modified = False
        self.accessed = False
        self.cookie_dirty = False  # the cookie must be (re)written
        self.clear_cookie = False  # the cookie must be removed
        self.rotated = False

    @property
    def user_id(self) -> int | None:
        value = self.get(USER_KEYS[self.kind])
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def ensure_seed(self) -> str:
        if not self.seed:
            self.seed = secrets.token_urlsafe(24)
            self.cookie_dirty = True
        return self.seed

    @property
    def stored_hash(self) -> str | None:
        return digest(self.sid) if self.sid else None


# ------------------------------------------------------------------ store
def _store(where: str | None = None) -> SessionStore:
    """The store of sessions kept ``where``; without ``where`` the configured
    store as a whole (a user's sessions are listed and ended through it, in
    every tier)."""
    store = current_app.runtime.session_store
    return store if where is None else stored.store_at(store, where)


# ------------------------------------------------------------------ open / save
async def open_session(kind: str) -> ServerSession:
    """The session of the current request (from its cookie)."""
    if request.path.startswith(SESSIONLESS_PREFIXES):
        return ServerSession(kind, detached=True)
    if client.header("Authorization").lower().startswith("bearer "):
        return ServerSession(kind, detached=True)
    raw = request.cookies.get(client.cookie_name(COOKIES[kind]), "")
    prefix, _, value = raw.partition(".")
    if not raw:
        return ServerSession(kind)
    if not _TOKEN.match(value) or prefix not in ("a", *WHERE):
        session = ServerSession(kind)
        session.clear_cookie = True
        return session
    if prefix == "a":
        return ServerSession(kind, seed=value)
    where = WHERE[prefix]
    try:
        record = await _store(where).load(digest(value))
    except Exception as exc:  # noqa: BLE001 - store down: signed out, the cookie kept, never written
        log.error("session.store_unavailable", kind=kind, error=repr(exc))
        session = ServerSession(kind, detached=True)
        session.unavailable = True
        return session
    now = time.time()
    limits = timeouts(kind)
    if record is None or record.kind != kind or now - record.last_seen_at > limits.idle \
            or now - record.created_at > limits.absolute:
        if record is not None:
            with contextlib.suppress(SessionStoreUnavailable):  # Redis expires it by its TTL anyway
                await _store(where).delete(digest(value))
            log.info("session.expired", kind=kind, user_id=record.user_id)
        session = ServerSession(kind)
        session.clear_cookie = True
        return session
    data = dict(record.data)
    seed = data.pop("_csrf", None)
    return ServerSession(kind, data=data, sid=value, seed=seed or secrets.token_urlsafe(24), record=record,
                         where=where)


def _ttl(session: ServerSession, now: float) -> int:
    limits = timeouts(session.kind)
    created = session.record.created_at if session.record else now
    return int(max(1, min(limits.idle, limits.absolute - (now - created))))


async def _persist(session: ServerSession, now: float) -> None:
    """Write the session where it is kept. A new one (a new id) goes to the
    configured store, or to the database when that cannot be reached."""
    new = session.record is None
    record = session.record or SessionRecord(data={}, kind=session.kind, user_id=None, created_at=now,
                                             last_seen_at=now, ip=client.client_ip(), user_agent=client.user_agent())
    record.data = {**dict(session), "_csrf": session.ensure_seed()}
    record.user_id = session.user_id
    record.last_seen_at = now
    session.record = record
    if new:
        session.where = IN_STORE
        session.cookie_dirty = True
    try:
        await _store(session.where).save(session.stored_hash, record, _ttl(session, now))
    except SessionStoreUnavailable as exc:
        if not (new and stored.has_fallback(current_app.runtime.session_store)):
            raise
        session.where = IN_DATABASE
        await _store(IN_DATABASE).save(session.stored_hash, record, _ttl(session, now))
        log.warning("session.kept_in_database", kind=session.kind, error=str(exc))


async def save_session(session: ServerSession, response) -> None:
    """Write the session (when changed) and its cookie onto ``response``. When
    its store went away during the request, ``response`` becomes the 503
    "try again" page and the cookie stays as it was."""
    if session.detached or response is None:
        return
    try:
        await _save(session, response)
    except SessionStoreUnavailable as exc:
        log.error("session.save_failed", kind=session.kind, error=str(exc))
        await _become_unavailable(response)


async def _save(session: ServerSession, response) -> None:
    now = time.time()
    name = client.cookie_name(COOKIES[session.kind])
    secure = client.cookie_secure()
    if len(session) == 0 and session.sid is None and not session.seed:
        if session.clear_cookie:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
        return
    if len(session) == 0 and session.sid is not None:  # emptied: nothing to keep on the server
        await _store(session.where).delete(session.stored_hash)
        session.sid, session.record = None, None
        session.cookie_dirty = True
    if len(session):
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
            session.record = None
            await _persist(session, now)
        elif session.modified or session.rotated:
            await _persist(session, now)
        elif session.record is not None and now - session.record.last_seen_at >= TOUCH_SECONDS:
            session.record.last_seen_at = now
            try:
                await _store(session.where).touch(session.stored_hash, session.record, _ttl(session, now))
            except SessionStoreUnavailable as exc:  # only the idle clock: the page stands
                log.warning("session.touch_failed", kind=session.kind, error=str(exc))
    if session.accessed or session.cookie_dirty:
        response.vary.add("Cookie")
    if not (session.cookie_dirty or session.clear_cookie):
        return
    if session.sid:
        created = session.record.created_at if session.record else now
        max_age = int(max(1, timeouts(session.kind).absolute - (now - created)))
        response.set_cookie(name, f"{PREFIXES[session.where]}.{session.sid}", max_age=max_age, path="/",
                            secure=secure, httponly=True, samesite="Lax")
    elif session.seed:
        response.set_cookie(name, f"a.{session.seed}", path="/", secure=secure, httponly=True, samesite="Lax")
    else:
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
    response.headers["Cache-Control"] = "private, no-store"


# ------------------------------------------------------------------ actions
async def rotate(session: ServerSession) -> None:
    """A new session id and CSRF seed; the old stored session is deleted now.
    Call on sign-in and on every change of privileges."""
    if session.sid is not None:
        await _store(session.where).delete(session.stored_hash)
    session.sid = secrets.token_urlsafe(32)
    session.seed = secrets.token_urlsafe(24)
    session.record = None
    session.rotated = True
    now = time.time()
    await _persist(session, now)
    session.cookie_dirty = True


async def end(session: ServerSession) -> None:
    """Sign-out: delete the stored session and empty it (the cookie goes too)."""
    if session.sid is not None:
        await _store(session.where).delete(session.stored_hash)
    session.clear()
    session.sid, session.record = None, None
    session.seed = secrets.token_urlsafe(24)
    session.cookie_dirty = True


async def end_other_sessions(session: ServerSession) -> int:
    """Delete every other session of the signed-in user ("sign out everywhere else")."""
    if session.user_id is None:
        return 0
    return await _store().delete_for_user(session.kind, session.user_id, keep=session.stored_hash)


async def end_user_sessions(kind: str, user_id: int, keep: ServerSession | None = None) -> int:
    """Delete every session of a user (password change, deactivation, deletion)."""
    return await stored.end_user_sessions(_store(), kind, user_id, keep.stored_hash if keep is not None else None)


async def user_sessions(kind: str, user_id: int) -> list[SessionRecord]:
    return await stored.live_sessions(_store(), current_app.settings, kind, user_id)


# ------------------------------------------------------------------ store unreachable
def needs_session() -> bool:
    """Whether this request cannot be served without its session: a form post
    or a page under :data:`SESSION_PAGES`. The JSON API (but its admin part)
    and catalog pages are served signed out instead."""
    path = request.path
    if path.startswith("/api/") and not path.startswith("/api/v1/admin"):
        return False
    return request.method not in ("GET", "HEAD", "OPTIONS") or path.startswith(SESSION_PAGES)


async def unavailable_response():
    """503 "try again" (problem+json under ``/api/``), with ``Retry-After``."""
    title = "Please try again in a moment"
    detail = ("We cannot reach your session right now: a service of the shop is restarting. Your cart and "
              "your account are kept. Please try again in a minute.")
    if request.path.startswith("/api/"):
        from engine.web.problems import problem_response

        response = problem_response(503, title, detail)
    else:
        from engine.web.pages import simple_page

        response = await simple_page(503, title, detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _become_unavailable(response) -> None:
    """Turn ``response`` (already through the after-request hooks, whose headers
    it keeps) into :func:`unavailable_response`."""
    page = await unavailable_response()
    response.status_code = 503
    response.headers.pop("Location", None)
    for header in ("Content-Type", "Retry-After", "Cache-Control"):
        response.headers[header] = page.headers[header]
    response.set_data(await page.get_data())


async def require_every_store() -> None:
    """Raise :class:`SessionStoreUnavailable` unless every session store can be
    reached: call it before a change that must end a user's sessions (a new
    password), so the change is refused rather than half done."""
    await stored.ensure_reachable(current_app.runtime.session_store)


# ------------------------------------------------------------------ wiring
class ShopSessionInterface(SessionInterface):
    """Quart's ``session`` as a server-side shopper session."""

    async def open_session(self, app: Quart, request_: Any) -> ServerSession:
        if request.path.startswith(STAFF_PREFIXES):
            return ServerSession(SHOP, detached=True)
        return await open_session(SHOP)

    async def save_session(self, app: Quart, session: SessionMixin, response: Any) -> None:
        if isinstance(session, ServerSession):
            await save_session(session, response)


def uses_staff_session() -> bool:
    return request.path == "/admin" or request.path.startswith(("/admin/", "/api/v1/admin"))


async def staff_session() -> ServerSession:
    """The staff session of this request (opened once, then cached)."""
    if "staff_session" not in g:
        g.staff_session = await open_session(STAFF)
    return g.staff_session


def current_session() -> ServerSession:
    """The session that guards this request: the staff session under the
    admin paths (opened by the before-request hook), else the shopper's."""
    from quart import session

    if uses_staff_session() and "staff_session" in g:
        return g.staff_session
    return session  # type: ignore[return-value]


def install(app: Quart) -> None:
    app.session_interface = ShopSessionInterface()

    @app.before_request
    async def _open_staff_session() -> None:
        if uses_staff_session():
            await staff_session()

    @app.before_request
    async def _refuse_without_session():
        if getattr(current_session(), "unavailable", False) and needs_session():
            return await unavailable_response()
        return None

    @app.errorhandler(SessionStoreUnavailable)
    async def _store_unavailable(exc: SessionStoreUnavailable):
        log.error("session.store_unavailable", path=request.path, error=str(exc))
        return await unavailable_response()

    @app.after_request
    async def _save_staff_session(response):
        if "staff_session" in g:
            await save_session(g.staff_session, response)
        return response
