"""Personal data out of every event before it leaves the process (``before_send``).

Two rules, applied to the parts of an event that carry data — the request
(URL, query string, headers, cookies, body), ``user``, ``extra``,
breadcrumbs, log messages, exception messages and frame variables:

- **By key**: the value of a key that names personal or secret data
  (:data:`PERSONAL_KEYS`: e-mail, names, address parts, phone, card fields;
  anything containing :data:`SECRET_PARTS`: password, token, secret,
  authorization, cookie, session, csrf, ...) becomes :data:`FILTERED`.
  ``user`` keeps its ``id`` only.
- **In text**: e-mail addresses, card-like digit runs (13 to 19 digits,
  spaces or dashes allowed between them), ``Bearer``/``Basic`` credentials,
  ``key=value`` pairs whose key is secret (query strings, cookies) and long
  opaque tokens (24+ URL-safe characters with a capital or a digit: cart ids
  and access tokens in paths) are replaced in every string.

Names and street addresses inside free text cannot be recognised; the shop
passes them as structured data, which the key rule covers. Stack frames carry
no local variables (``include_local_variables`` is off), so values never reach
an event that way.
"""
from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"

#: keys whose value is personal data (compared lower-cased, ``-`` as ``_``)
PERSONAL_KEYS = frozenset({
    "email", "e_mail", "mail", "name", "first_name", "last_name", "full_name", "given_name", "family_name",
    "company", "line1", "line2", "address", "street", "city", "region", "postal_code", "postcode", "zip",
    "country", "phone", "telephone", "shipping_address", "billing_address", "username", "ip_address",
    "remote_addr", "x_forwarded_for", "x_real_ip", "card", "card_number", "pan", "cvc", "cvv", "iban",
    "exp_month", "exp_year",
})
#: a key containing one of these names a secret
SECRET_PARTS = ("password", "passwd", "secret", "token", "authorization", "auth", "cookie", "session", "csrf",
                "api_key", "apikey", "signature", "credential", "dsn")

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_CARD = re.compile(r"(?<![\d.])\d(?:[ \-]?\d){12,18}(?![\d.])")
_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=\-]{4,}")
#: ``key=value`` pairs (query strings, cookies, form bodies) whose key names a secret or personal data
_PAIR_KEYS = SECRET_PARTS + ("key", "mail", "name", "address", "line1", "line2", "street", "city", "postal", "zip",
                             "phone", "card", "cvc", "iban")
_SECRET_PAIR = re.compile(r"(?i)\b([\w\-]*(?:" + "|".join(_PAIR_KEYS) + r")[\w\-]*)=([^&;\s]+)")
_TOKEN = re.compile(r"(?=[A-Za-z0-9_\-]*[A-Z0-9])[A-Za-z0-9_\-]{24,}")


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def sensitive_key(name: str) -> bool:
    """Whether the value under key ``name`` is personal or secret."""
    key = _key(name)
    return key in PERSONAL_KEYS or any(part in key for part in SECRET_PARTS)


def scrub_text(text: str) -> str:
    """``text`` with e-mail addresses, card-like numbers, credentials, secret
    ``key=value`` pairs and opaque tokens replaced by :data:`FILTERED`."""
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)} {FILTERED}", text)
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}={FILTERED}", text)
    text = _EMAIL.sub(FILTERED, text)
    text = _CARD.sub(FILTERED, text)
    return _TOKEN.sub(FILTERED, text)


def scrub(value: Any, key: str | None = None) -> Any:
    """A copy of ``value`` (dicts, lists, ``[name, value]`` header pairs,
    strings) with both rules applied."""
    if key is not None and sensitive_key(key) and value not in (None, "", [], {}):
        return FILTERED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and isinstance(value[0], str) and sensitive_key(value[0]):
            return [value[0], FILTERED]
        return [scrub(item) for item in value]
    return value


def _exceptions(event: dict) -> list[dict]:
    values = (event.get("exception") or {}).get("values") or []
    threads = (event.get("threads") or {}).get("values") or []
    return [v for v in values + threads if isinstance(v, dict)]


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """``before_send``/``before_send_transaction``: the event with personal
    data removed (see the module docstring). Changes ``event`` in place."""
    for part in ("request", "extra", "breadcrumbs", "logentry", "message", "contexts"):
        if part in event and part != "contexts":
            event[part] = scrub(event[part])
    contexts = event.get("contexts")
    if isinstance(contexts, dict) and "response" in contexts:
        contexts["response"] = scrub(contexts["response"])
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for item in _exceptions(event):
        if isinstance(item.get("value"), str):
            item["value"] = scrub_text(item["value"])
        for frame in (item.get("stacktrace") or {}).get("frames") or []:
            if isinstance(frame, dict) and "vars" in frame:
                frame["vars"] = scrub(frame["vars"])
    if isinstance(event.get("transaction"), str):
        event["transaction"] = scrub_text(event["transaction"])
    return event
