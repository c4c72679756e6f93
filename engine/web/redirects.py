"""Where a sign-in may send the browser next: one check, used by the
storefront (``/account/login?next=``) and the admin (``/admin/login?next=``).

A ``next`` value comes from the query string or a form field, i.e. from
whoever made the link; a browser follows a ``Location`` header after
*normalising* it the WHATWG way — it drops tabs and line breaks anywhere,
trims spaces and control characters at the ends and reads ``\\`` as ``/`` —
so ``/\\t/evil.example/`` and ``/\\evil.example`` are other sites to it,
and a CR or LF cannot go into a header at all. :func:`local_path` therefore
accepts only a path on this site that needs no normalising: it refuses
control characters, whitespace, backslashes, anything that does not start
with exactly one ``/``, and values that would start with two slashes once
percent-decoded (``/%2F/evil.example``, ``/%09/evil.example``), in case
something behind the shop decodes them again.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote

#: the longest ``next`` value kept (longer ones fall back to the default)
MAX_LENGTH = 500

#: ASCII characters a path, query and fragment may carry as they are
_SAFE = "/?#[]@!$&'()*+,;=:%-._~"

#: Unicode categories never accepted: controls, format characters (e.g.
#: zero-width and direction marks), separators (spaces, line and paragraph
#: separators), surrogates, private use and unassigned code points
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def _plain(text: str) -> bool:
    """Nothing a browser would drop or rewrite, and one leading slash."""
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return False
    return not any(char.isspace() or unicodedata.category(char) in _REFUSED_CATEGORIES for char in text)


def _leaves_site_decoded(text: str) -> bool:
    """Whether ``text``, percent-decoded once more (as a careless proxy or
    application behind the shop might) and normalised the way a browser
    does, would start with two slashes — another site."""
    decoded = unquote(text, errors="replace")
    decoded = decoded.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return decoded.lstrip("".join(map(chr, range(0x21)))).startswith("//")


def local_path(value: object, default: str, *, within: str = "/") -> str:
    """``value`` when it is a path on this site under ``within`` (``/``:
    anywhere; ``/admin``: ``/admin`` itself or below it), else ``default``.

    Refused (→ ``default``): anything but a string; more than
    :data:`MAX_LENGTH` characters; control characters (CR, LF, tab, NUL, …),
    whitespace, invisible format characters or backslashes; a value not
    starting with exactly one ``/`` (absolute and scheme-relative URLs,
    ``javascript:``, relative paths); a value that would start with two
    slashes once percent-decoded (``/%2F/evil.example``, ``/%5Cevil``). The
    accepted value is returned with non-ASCII characters percent-encoded,
    ready for a ``Location`` header; ``default`` is returned as given (the
    caller's own constant)."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return default
    if not _plain(value) or _leaves_site_decoded(value):
        return default
    path = value.split("?", 1)[0].split("#", 1)[0]
    base = within.rstrip("/")
    if base and path != base and not path.startswith(base + "/"):
        return default
    return quote(value, safe=_SAFE)
