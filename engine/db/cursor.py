"""Opaque keyset cursors: URL-safe base64 of ``{"s": sort, "k": [key, id]}``.

A cursor carries the sort key and id of the last item of a page; the next
page continues strictly after it, so pages cost the same however deep they
go. A cursor only decodes for the sort order it was made with, and only with
key values the database columns can hold.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from engine.errors import InvalidCursor

MAX_CURSOR_LENGTH = 512


class Amount(int):
    """A cursor key kind: an integer of a 64-bit money column (``int`` is a 32-bit id)."""


#: The magnitude each kind of key stays below.
_LIMITS: dict[type, float] = {int: 2**31, Amount: 2**63, float: 1e30}


def encode_cursor(sort: str, key: list[Any]) -> str:
    raw = json.dumps({"s": sort, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, kinds: tuple[type, ...]) -> list[Any]:
    """The key list of ``cursor``; raises :class:`InvalidCursor` unless it was
    made for ``sort`` and its key values have the types in ``kinds``."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor: not a valid cursor", {"cursor": "not a valid cursor"})
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidCursor("cursor: not a valid cursor", {"cursor": "not a valid cursor"}) from None
    if not isinstance(data, dict) or data.get("s") != sort:
        raise InvalidCursor("cursor: made for another sort order", {"cursor": "made for another sort order"})
    key = data.get("k")
    if not isinstance(key, list) or len(key) != len(kinds):
        raise InvalidCursor("cursor: not a valid cursor", {"cursor": "not a valid cursor"})
    out = []
    for value, kind in zip(key, kinds):
        if isinstance(value, bool):
            raise InvalidCursor("cursor: not a valid cursor", {"cursor": "not a valid cursor"})
        if kind is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, int if kind is Amount else kind) or (kind is float and not math.isfinite(value)):
            raise InvalidCursor("cursor: not a valid cursor", {"cursor": "not a valid cursor"})
        # Keys are 32-bit integers (ids), 64-bit integers (amounts) and 32-bit
        # floats (ranks) in the database; a value beyond that was not made here.
        limit = _LIMITS.get(kind)
        if limit is not None and not -limit <= value < limit:
            raise InvalidCursor("cursor: not a valid cursor", {"cursor": "not a valid cursor"})
        out.append(value)
    return out
