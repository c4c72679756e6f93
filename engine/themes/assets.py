"""Versioned static file URLs for themes (and plugins).

``asset_url("css/site.css")`` looks the file up through the theme chain (the
theme's ``static/`` first, then its ancestors') and answers
``/static/theme/<owner>/<hash>/css/site.css`` where ``<owner>`` is the theme
that has the file and ``<hash>`` the first 12 hex digits of the SHA-256 of its
content: a changed file gets a new URL, so the response can be cached for a
year (``immutable``). Hashes are cached per (path, mtime, size).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import quote

HASH_LENGTH = 12
LONG_CACHE = "public, max-age=31536000, immutable"

_hashes: dict[str, tuple[int, int, str]] = {}


class AssetNotFound(LookupError):
    pass


def safe_path(root: Path, relative: str) -> Path | None:
    """``root/relative`` when it is a file inside ``root`` (no ``..``, no absolute paths)."""
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        return None
    parts = relative.replace("\\", "/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    candidate = root.joinpath(*parts)
    try:
        candidate.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return candidate if candidate.is_file() else None


def content_hash(path: Path) -> str:
    stat = os.stat(path)
    key = str(path)
    cached = _hashes.get(key)
    if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
        return cached[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
    _hashes[key] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


class AssetResolver:
    """Finds static files through a chain of ``(owner, static folder)``."""

    def __init__(self, chain: list[tuple[str, Path | None]], kind: str = "theme") -> None:
        self.chain = [(owner, folder) for owner, folder in chain if folder is not None]
        self.kind = kind
        self._found: dict[str, tuple[str, Path]] = {}

    def find(self, relative: str) -> tuple[str, Path] | None:
        for owner, folder in self.chain:
            path = safe_path(folder, relative)
            if path is not None:
                return owner, path
        return None

    def url(self, relative: str) -> str:
        """The versioned URL. Where a file was found is remembered (a file added
        to a child theme later needs a restart); its hash is re-checked by stat."""
        found = self._found.get(relative)
        if found is None or not found[1].is_file():
            found = self.find(relative)
            if found is None:
                raise AssetNotFound(f"static file {relative!r} not found in "
                                    f"{', '.join(o for o, _ in self.chain) or 'no theme'}")
            self._found[relative] = found
        owner, path = found
        return f"/static/{self.kind}/{owner}/{content_hash(path)}/{quote(relative)}"
