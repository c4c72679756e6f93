"""Product images uploaded by staff, kept through a small storage interface.

:class:`ImageStorage` is what the catalog needs of a store for image bytes:
``save(name, data)`` and ``load(name)``. :class:`LocalDiskStorage`, the
default, writes files into ``media.directory`` (created when missing); a
shop with several servers points that at a shared directory, or a deployment
provides another :class:`ImageStorage` (object storage) through
:func:`set_storage`.

:func:`store_image` takes only PNG, JPEG, GIF and WebP, told by the first
bytes (never by the file name or the type the browser claims), at most
``media.max_image_bytes``; it names the file by its content hash, so the same
image twice is one file and a name can be cached for ever. The URL path is
``/media/catalog/<sha256>.<ext>`` (:data:`URL_PREFIX`), which the storefront
serves.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from engine.catalog.validation import fail
from engine.themes.media import MediaError, image_type

URL_PREFIX = "/media/catalog/"
NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|gif|webp)$")
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


class ImageStorage(Protocol):
    """Where image bytes live. Names are ``<sha256>.<ext>`` (already checked)."""

    def save(self, name: str, data: bytes) -> None: ...

    def load(self, name: str) -> bytes | None: ...


class LocalDiskStorage:
    """Files in one directory; written to a temporary file and renamed, so a
    reader never sees half an image."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def save(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / name
        if target.exists():
            return
        handle, partial = tempfile.mkstemp(dir=self.directory, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def load(self, name: str) -> bytes | None:
        try:
            return (self.directory / name).read_bytes()
        except FileNotFoundError:
            return None


_override: ImageStorage | None = None


def set_storage(storage: ImageStorage | None) -> None:
    """Use ``storage`` instead of the local directory (None: back to the default)."""
    global _override
    _override = storage


def storage(settings: Any) -> ImageStorage:
    """The configured storage: the override, else ``media.directory`` on disk."""
    return _override or LocalDiskStorage(settings.media.directory)


def store_image(settings: Any, data: bytes) -> str:
    """Keep an uploaded image; returns its URL path. :class:`InvalidInput`
    (field ``image``) for an empty, too large or unknown kind of file."""
    if not data:
        fail("image", "the file is empty")
    limit = settings.media.max_image_bytes
    if len(data) > limit:
        fail("image", f"must be at most {limit // 1024} KB")
    try:
        _, extension = image_type(data)
    except MediaError as exc:
        fail("image", str(exc))
    name = f"{hashlib.sha256(data).hexdigest()}.{extension}"
    storage(settings).save(name, data)
    return URL_PREFIX + name


def load_image(settings: Any, name: str) -> tuple[str, bytes] | None:
    """``(content type, bytes)`` of a stored image, or None (also for a name
    this module never makes)."""
    match = NAME.match(name)
    if match is None:
        return None
    data = storage(settings).load(name)
    return None if data is None else (CONTENT_TYPES[match.group(1)], data)
