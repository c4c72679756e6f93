"""Webhook signatures: ``Shopwright-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is the hex HMAC-SHA256, keyed with the subscription's secret (the
whole ``whsec_...`` string, UTF-8), of ``"<t>.<raw body>"``. During a secret
rotation's overlap window the header carries one ``v1`` per valid secret
(newest first); a receiver accepts the request when any of them matches and
``t`` is recent. :func:`verify` is the reference receiver-side check (the same
code is shown in docs/webhooks.md).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Iterable

HEADER = "Shopwright-Signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_: Iterable[str], body: bytes, timestamp: int | None = None) -> str:
    """The header value for ``body`` signed with each of ``secrets_`` (newest first)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    parts = [f"t={timestamp}"] + [f"v1={signature(secret, timestamp, body)}" for secret in secrets_]
    return ",".join(parts)


class InvalidSignature(ValueError):
    pass


def verify(secret: str, header: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE_SECONDS,
           now: float | None = None) -> int:
    """Check a received request; returns its timestamp or raises :class:`InvalidSignature`."""
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("no signature matches")
    return timestamp
