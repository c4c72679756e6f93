"""Facts about the client of a request: its IP address and whether it came
over HTTPS, believing ``X-Forwarded-*`` headers only from the number of
reverse proxies named by ``security.trusted_proxies``."""
from __future__ import annotations

from typing import Any

from quart import current_app, request


def raw_header(req: Any, name: bytes) -> bytes | None:
    """A request header straight from the ASGI scope (``name`` in lower case):
    werkzeug's lookup of a *missing* header raises and catches an exception,
    which costs more than the whole scan, and most requests lack most of the
    headers asked for."""
    for key, value in req.scope["headers"]:
        if key.lower() == name:
            return value
    return None


def header(name: str) -> str:
    """The current request's header ``name`` (:func:`raw_header`), ``""`` when absent."""
    value = raw_header(request, name.lower().encode("latin-1"))
    return "" if value is None else value.decode("latin-1")


def _trusted() -> int:
    return current_app.settings.security.trusted_proxies


def address(peer: str, forwarded_for: str, trusted: int) -> str:
    """The client's address: with ``trusted`` proxies in front, the N-th
    address from the right of ``X-Forwarded-For`` (the one the outermost
    trusted proxy saw), else the socket ``peer``."""
    if trusted:
        hops = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if len(hops) >= trusted:
            return hops[-trusted][:64]
    return peer[:64]


def client_ip() -> str:
    """The address of the current request's client (see :func:`address`)."""
    return address(request.remote_addr or "unknown", header("X-Forwarded-For"), _trusted())


def is_https() -> bool:
    """True when the client reached the shop over HTTPS."""
    if request.scheme == "https":
        return True
    if _trusted():
        forwarded = header("X-Forwarded-Proto").split(",")[0].strip().lower()
        return forwarded == "https"
    return False


def user_agent() -> str:
    return header("User-Agent")[:300]


def cookie_secure() -> bool:
    """Whether cookies get ``Secure`` (and the ``__Host-`` name prefix)."""
    mode = current_app.settings.security.cookie_secure
    return mode == "always" or (mode == "auto" and is_https())


def cookie_name(base: str) -> str:
    """``__Host-<base>`` when the cookie is Secure (which that prefix requires,
    with ``Path=/`` and no ``Domain``), else ``<base>``."""
    return f"__Host-{base}" if cookie_secure() else base
