"""ETags and conditional GETs for JSON reads.

The ETag of a response is a strong validator derived from its body (SHA-256
of the bytes), so it changes exactly when the representation changes — a
price or stock change shows in the next response's ETag at once, with no
cache to invalidate. ``If-None-Match`` (a list, ``W/`` prefixes and ``*``
accepted) that matches gives ``304 Not Modified`` with the ETag and no body.
Responses are marked ``Cache-Control: no-cache``: clients may keep them but
revalidate every time.
"""
from __future__ import annotations

import hashlib

from quart import Response, request
from quart.wrappers.response import DataBody


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §8.8.3.2) of ``If-None-Match`` with ``etag``."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == bare for candidate in header.split(","))


async def conditional(response: Response) -> Response:
    """``after_request`` handler: add the ETag to a successful GET/HEAD and
    answer 304 when the client's copy is current."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200 \
            or not isinstance(response.response, DataBody):
        return response
    body = await response.get_data()
    etag = etag_of(body)
    response.headers["ETag"] = etag
    response.headers.setdefault("Cache-Control", "no-cache")
    header = request.headers.get("If-None-Match")
    if header and matches(header, etag):
        not_modified = Response(b"", status=304)
        for name in ("ETag", "Cache-Control", "Vary", "Content-Location"):
            if name in response.headers:
                not_modified.headers[name] = response.headers[name]
        return not_modified
    return response


#: Endpoints (``blueprint.view``) answering conditional GETs; the OpenAPI
#: document lists ``If-None-Match`` and ``304`` for them.
CONDITIONAL_ENDPOINTS: set[str] = set()


def enable(blueprint, *views: str) -> None:
    """Give the named views of ``blueprint`` ETags and conditional GETs."""
    names = {f"{blueprint.name}.{view}" for view in views}
    CONDITIONAL_ENDPOINTS.update(names)

    @blueprint.after_request
    async def _conditional(response: Response) -> Response:
        if request.endpoint in names:
            return await conditional(response)
        return response
