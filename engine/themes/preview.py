"""Staff previews of a theme (and unsaved theme settings) on the live store.

A member of staff with the ``plugins:write`` permission obtains a *preview
grant* from ``/admin/theme-preview/<name>``: a cookie signed with the
secret key (itsdangerous, salted, timestamped, valid ``MAX_AGE`` seconds)
that names the theme and optionally carries unsaved settings. A request
renders the previewed theme only when it carries a valid grant and its
``preview_theme`` query parameter, if present, names the granted theme. A
forged, expired or foreign cookie is ignored: the shopper sees the active
theme. Preview responses are ``Cache-Control: private, no-store``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "sw_theme_preview"
SALT = "shopwright.theme-preview"
MAX_AGE = 2 * 3600
#: Browsers drop cookies above ~4 KB; bigger unsaved settings are refused.
MAX_COOKIE_BYTES = 3800


@dataclass(frozen=True)
class PreviewGrant:
    theme: str
    settings: dict[str, Any] | None = None
    by: str = ""


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def mint(secret_key: str, grant: PreviewGrant) -> str:
    """The signed cookie value; raises ValueError when it would be too large."""
    value = _serializer(secret_key).dumps({"t": grant.theme, "s": grant.settings, "b": grant.by})
    if len(value) > MAX_COOKIE_BYTES:
        raise ValueError(f"preview settings are too large ({len(value)} bytes signed, at most {MAX_COOKIE_BYTES})")
    return value


def read(secret_key: str, value: str | None) -> PreviewGrant | None:
    """The grant in a cookie value, or None when absent, forged or expired."""
    if not value:
        return None
    try:
        data = _serializer(secret_key).loads(value, max_age=MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        return None
    settings = data.get("s")
    return PreviewGrant(data["t"], settings if isinstance(settings, dict) else None, str(data.get("b") or ""))
