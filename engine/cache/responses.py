"""Cached responses: what is kept of an answer, under which key, with which
per-response secrets taken out, and when it may be served again.

Plain values in, plain values out: the web layer reads requests and
responses, decides which requests may use the cache, and calls this module.

Entries
    A :class:`CachedResponse` is stored in a :class:`engine.cache.store.Cache`
    as kind :data:`KIND` under :func:`response_key` and the counter values
    ``page_deps(generation)`` (:mod:`engine.cache.counters`) it was made
    under; the store answers it only while those counters hold (and its TTL
    has not passed). Only a plain ``200`` HTML or JSON answer that sets no
    cookie and is neither ``private`` nor ``no-store`` is kept
    (:func:`storable`), with the headers in :data:`KEPT_HEADERS`.

Markers
    A per-response secret written into a response (the CSP nonce, the
    visitor's CSRF token) is recorded while rendering as ``{marker: value}``:
    the entry keeps the body and headers with those values in them, and
    :meth:`CachedResponse.filled` puts a fresh value for each marker in their
    place every time the entry is served. So a served entry is what a render
    would give that visitor.

ETags
    An HTML entry without a CSRF token gets a weak ETag, a hash of its body
    with the markers' values taken out (:func:`weak_etag`), so it stays the
    same while the page does; :func:`etag_matches` answers ``If-None-Match``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping

from engine.cache.store import CODECS

#: the kind response entries are stored as (see :class:`engine.cache.store.Cache`)
KIND = "response"
#: response headers kept with a cached response (others are per request)
KEPT_HEADERS = ("Content-Type", "Content-Security-Policy", "Vary", "Cache-Control", "ETag", "Content-Language",
                "Link", "Last-Modified")
CACHEABLE_TYPES = ("text/html", "application/json")
#: response header saying where an answer came from: ``hit``, ``miss`` (stored
#: now) or ``bypass`` (looked up but not storable)
HEADER = "X-Cache"
CSRF_MARKER = "csrf"
NONCE_MARKER = "csp_nonce"


@dataclass
class CachedResponse:
    """One cached answer (see the module docs); shared by every request that
    is answered with it, so it is never changed once stored but to record
    :attr:`final` and :attr:`seed`."""

    status: int
    #: the body (the UTF-8 bytes sent) with the markers' recorded values in it
    body: bytes
    #: the :data:`KEPT_HEADERS` the response had, with the ETag made here
    headers: list[tuple[str, str]]
    #: ``{marker: the value written into body and headers}``
    markers: dict[str, str]
    etag: str | None
    size: int
    #: the route template that answered (a metrics label)
    route: str = ""
    #: every header sent for it to an anonymous client, once seen; with it
    #: the entry can be answered without the web framework (:meth:`complete`)
    final: list[tuple[str, str]] | None = None
    #: the anonymous session's CSRF seed in ``final``'s ``Set-Cookie`` (when
    #: the page holds a CSRF token)
    seed: str | None = None

    @classmethod
    def of(cls, body: bytes, mimetype: str, headers: Mapping[str, str], markers: dict[str, str],
           route: str) -> "CachedResponse":
        """The entry for a :func:`storable` response: its ``body``, its kept
        ``headers`` (a case-insensitive map, as the framework's) and the
        ``markers`` recorded while it was made; an ETag when it is HTML
        without a CSRF token."""
        etag = None
        if mimetype == "text/html" and CSRF_MARKER not in markers:
            etag = weak_etag(body, markers)
        kept = [(key, headers[key]) for key in KEPT_HEADERS if key in headers]
        if etag:
            kept = [(k, v) for k, v in kept if k != "ETag"] + [("ETag", etag)]
        return cls(200, body, kept, markers, etag, len(body), route)

    def filled(self, values: dict[str, str]) -> tuple[bytes, list[tuple[str, str]]]:
        """The body and headers with each marker's recorded value replaced by
        ``values[marker]`` (one value for every marker)."""
        body, headers = self.body, self.headers
        for name, old in self.markers.items():
            new = values[name]
            body = body.replace(old.encode(), new.encode())
            headers = [(key, value.replace(old, new)) for key, value in headers]
        return body, headers

    def complete(self) -> bool:
        """Whether the entry can be answered from plain values, without the
        web framework: its final headers are known, and its only markers are
        the CSP nonce and a CSRF token whose anonymous session seed is known
        (a new seed gives the new token and cookie)."""
        if self.final is None or not set(self.markers) <= {NONCE_MARKER, CSRF_MARKER}:
            return False
        return CSRF_MARKER not in self.markers or self.seed is not None

    def to_json(self) -> dict:
        return {"status": self.status, "body": self.body.decode("utf-8"), "headers": self.headers,
                "markers": self.markers,
                "etag": self.etag, "route": self.route, "final": self.final, "seed": self.seed}

    @classmethod
    def from_json(cls, data: dict) -> "CachedResponse":
        final = data.get("final")
        body = data["body"].encode("utf-8")
        return cls(data["status"], body, [tuple(h) for h in data["headers"]], data["markers"],
                   data["etag"], len(body), data.get("route", ""),
                   [tuple(h) for h in final] if final is not None else None, data.get("seed"))


CODECS[KIND] = (CachedResponse.to_json, CachedResponse.from_json)


def response_key(scheme: str, forwarded_proto: bytes, host: bytes, path: str, query_string: bytes) -> tuple:
    """What a cached response is filed under: the request's scheme, its
    ``X-Forwarded-Proto`` and ``Host`` headers (raw, empty when absent), its
    path and raw query string."""
    return (scheme, forwarded_proto.decode("latin-1"), host.decode("latin-1"), path, query_string)


def storable(status: int, mimetype: str, headers: Mapping[str, str]) -> bool:
    """Whether a response may be kept: a ``200`` HTML or JSON answer that sets
    no cookie and is neither ``private`` nor ``no-store`` (``headers`` is a
    case-insensitive map, as the framework's)."""
    if status != 200 or mimetype not in CACHEABLE_TYPES or "Set-Cookie" in headers:
        return False
    control = headers.get("Cache-Control", "")
    return "private" not in control and "no-store" not in control


def weak_etag(body: bytes, markers: dict[str, str]) -> str:
    """A weak ETag of ``body`` with each marker's value put back to the
    marker's name, so fresh per-response values do not change it."""
    for name, value in markers.items():
        body = body.replace(value.encode(), name.encode())
    return 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(header: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header value names ``etag`` (weak
    comparison; ``*`` matches anything)."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == bare for candidate in header.split(","))
