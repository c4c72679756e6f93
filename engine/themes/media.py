"""Images the merchant uploads for a theme (a logo), kept in the database so
every server process serves them (they share nothing but the database).

An image is stored once under its content hash, in ``site_settings`` as
``media.<sha256>`` (``{"type", "data"}``, the bytes in base64; not under
``theme.``, which every process re-reads every 2 s), and served at
``/media/theme/<sha256>.<ext>`` (:data:`URL_PREFIX`), a path theme settings
accept as an image. Only PNG, JPEG, GIF and WebP are taken, told by their
first bytes (never by the name or the type the browser claims), up to
:data:`MAX_BYTES`; SVG is refused (it can carry script). Storing is idempotent:
the same image twice is one entry. Every upload is audited (``theme.media``).
"""
from __future__ import annotations

import base64
import hashlib
import re

from engine import audit
from engine.db.sql import write_transaction
from engine.system import site_settings

MAX_BYTES = 512 * 1024
KEY_PREFIX = "media."
URL_PREFIX = "/media/theme/"
#: first bytes → (content type, file extension)
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
_NAME = re.compile(r"^([0-9a-f]{64})\.(png|jpg|gif|webp)$")


class MediaError(ValueError):
    """The upload is not an image this shop takes (the message says why)."""


def image_type(data: bytes) -> tuple[str, str]:
    """``(content type, extension)`` of ``data``; MediaError when it is not a
    PNG, JPEG, GIF or WebP image."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    for signature, content_type, extension in SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    raise MediaError("must be a PNG, JPEG, GIF or WebP image")


async def store(data: bytes, *, actor: dict | None = None) -> str:
    """Keep ``data`` and return its URL path (``/media/theme/<sha256>.<ext>``);
    audited as ``theme.media`` with its hash and size. MediaError for anything
    but an image of at most :data:`MAX_BYTES`, or an empty file."""
    if not data:
        raise MediaError("the file is empty")
    if len(data) > MAX_BYTES:
        raise MediaError(f"must be at most {MAX_BYTES // 1024} KB")
    content_type, extension = image_type(data)
    digest = hashlib.sha256(data).hexdigest()
    key = KEY_PREFIX + digest
    async with write_transaction():
        if await site_settings.read(key) is None:
            await site_settings.write(key, {"type": content_type, "data": base64.b64encode(data).decode()})
            await audit.record("theme.media", f"sha256={digest}", {"type": content_type, "bytes": len(data)}, actor)
    return f"{URL_PREFIX}{digest}.{extension}"


async def load(name: str) -> tuple[str, bytes] | None:
    """``(content type, bytes)`` of the image named ``<sha256>.<ext>``, or None."""
    match = _NAME.match(name)
    if match is None:
        return None
    stored = await site_settings.read(KEY_PREFIX + match.group(1))
    if not isinstance(stored, dict) or not isinstance(stored.get("data"), str):
        return None
    return str(stored.get("type") or "application/octet-stream"), base64.b64decode(stored["data"])
