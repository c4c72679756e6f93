"""CSRF protection for every state-changing request made with a session.

The token is ``HMAC-SHA256(secret_key, "<kind>:<seed>")`` where the seed
belongs to the session (:mod:`engine.web.sessions`); it changes when the
session is rotated (sign-in). Forms send it in the hidden field
``csrf_token`` (``{{ csrf_token() }}`` in templates); scripts send the
``X-CSRF-Token`` header.

The guard (:func:`guard`, run before every request) refuses with 403, before
the view runs and so before anything changes, a POST, PUT, PATCH or DELETE
that lacks the right token, except:

- ``/webhooks/<plugin>``: providers' webhooks, verified by their signature;
- requests with ``Authorization: Bearer``: authenticated by the token alone
  (their session cookie is ignored, see ``ServerSession.detached``);
- ``/api/v1/carts/...``: authenticated by the cart's secret id;
- other ``/api/...`` requests whose session has nobody signed in (the cookie
  carries no authority to abuse);
- views marked with :func:`exempt` (documented one by one).

A JSON API request made with a signed-in session (the shopper's account
API, the admin API from the admin pages) needs the header.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from typing import Callable

import structlog
from quart import Quart, current_app, request

from engine.web import sessions

log = structlog.get_logger("shopwright.csrf")

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
EXEMPT_PREFIXES = ("/webhooks/",)
#: JSON API paths authenticated by a secret in the path (the cart id).
SECRET_PATH_PREFIXES = ("/api/v1/carts",)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def exempt(view: Callable) -> Callable:
    """Mark a view as not needing a CSRF token (it must authenticate the
    request another way, e.g. a provider signature)."""
    view.csrf_exempt = True
    return view


@functools.lru_cache(maxsize=1024)
def token_for_seed(secret_key: str, kind: str, seed: str) -> str:
    """The CSRF token of a session of ``kind`` whose CSRF seed is ``seed``
    (remembered for recent seeds: a page asks for it once per form)."""
    mac = hmac.new(secret_key.encode(), f"{kind}:{seed}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def token_for(session: sessions.ServerSession) -> str:
    return token_for_seed(current_app.settings.secret_key, session.kind, session.ensure_seed())


def current_token() -> str:
    """The CSRF token of the request's session (made on first use)."""
    return token_for(sessions.current_session())


async def submitted_token() -> str:
    header = request.headers.get(HEADER)
    if header:
        return header
    if request.mimetype in _FORM_TYPES:
        form = await request.form
        return str(form.get(FIELD, ""))
    return ""


async def request_token_valid() -> bool:
    """True when the request carries its session's CSRF token."""
    session = sessions.current_session()
    if not session.seed or session.detached:
        return False
    given = await submitted_token()
    return bool(given) and hmac.compare_digest(given.encode(), token_for(session).encode())


def _needs_check() -> bool:
    if request.method in SAFE_METHODS or request.path.startswith(EXEMPT_PREFIXES):
        return False
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "csrf_exempt", False):
        return False
    if request.path.startswith("/api/"):
        if request.path.startswith(SECRET_PATH_PREFIXES):
            return False
        session = sessions.current_session()
        return any(key in session for key in ("customer_id", "staff_id", "pending_staff_id"))
    return True


async def guard():
    """Before-request hook: None to go on, or the 403 response."""
    if not _needs_check():
        return None
    if await request_token_valid():
        return None
    log.warning("csrf.refused", method=request.method, path=request.path)
    return await refusal()


async def refusal():
    from engine.web.problems import problem_response

    detail = "The request has no valid CSRF token (form field csrf_token or header X-CSRF-Token)."
    if request.path.startswith("/api/"):
        return problem_response(403, "Forbidden", detail)
    from engine.web.pages import simple_page

    return await simple_page(403, "The form expired",
                             "This form was open too long or came from another site. Go back, reload the page "
                             "and try again.")


def install(app: Quart) -> None:
    """Check every state-changing request before its view runs."""

    @app.before_request
    async def _csrf_guard():
        return await guard()


def hidden_field() -> str:
    """The hidden form input carrying the request's CSRF token (markup safe
    to place in a Jinja template)."""
    from markupsafe import Markup, escape

    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(current_token())}">')
