"""Input hygiene at the edge: text that is not valid Unicode, or that no
database can store, and JSON that is nested without bound never reach a view.

Every request (webhook payloads excepted: their signature is checked first,
by the plugin, over the raw bytes):

- **Query string** and **url-encoded form body**: each name and value,
  percent-decoded, must be UTF-8 without NUL (U+0000); else ``422`` naming the
  parameter. (Werkzeug would quietly turn undecodable bytes into U+FFFD.)
- **JSON body** (any ``application/json`` or ``+json`` content type) is parsed
  before the view by :class:`StrictJSONProvider` (orjson): the parser itself
  stops at 1024 levels without recursing in Python, and refuses lone UTF-16
  surrogates (``"\\ud800"``), ``NaN`` and ``Infinity``. The parsed value may
  be nested at most :data:`MAX_DEPTH` levels and may hold no NUL in a key or a
  string. A body that is not JSON (or not UTF-8) is ``400``; nested too deeply
  ``400``; invalid text ``422`` with the field's dotted path in ``errors``.
- **Path**: a NUL character is ``400``. (Integer path parameters are bounded
  by :mod:`engine.web.converters`.)

Under ``/api/`` the answer is ``application/problem+json``; elsewhere the
surface's small error page.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from flask.json.provider import DefaultJSONProvider
from quart import Quart, Request, request

from engine.web.pages import simple_page
from engine.web.problems import Problem, problem_response

#: The deepest JSON body accepted (objects and arrays inside each other).
MAX_DEPTH = 32


class InvalidJSON(ValueError):
    """A JSON body refused by :class:`StrictJSONProvider`: ``status`` 400 (not
    JSON, too deep) or 422 (invalid text at ``field``)."""

    def __init__(self, status: int, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


SURROGATE = "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"


def _text_error(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (U+0000)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE
    return None


def _check_value(value: Any) -> None:
    """Depth and text of a parsed JSON value, without recursion."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            error = _text_error(item)
            if error:
                raise InvalidJSON(422, error, path or "body")
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            raise InvalidJSON(400, f"is nested more than {MAX_DEPTH} levels deep")
        children = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in children:
            error = _text_error(key) if isinstance(key, str) else None
            if error:
                raise InvalidJSON(422, f"a key {error}", path or "body")
            stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))


def strict_loads(data: str | bytes) -> Any:
    """Parse JSON as this shop accepts it (see the module docstring)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = str(exc)
        if "surrogate" in reason:
            _find_surrogate(data)
            raise InvalidJSON(422, SURROGATE) from None
        if "depth" in reason:
            raise InvalidJSON(400, f"is nested more than {MAX_DEPTH} levels deep") from None
        raise InvalidJSON(400, f"is not valid JSON ({reason})") from None
    _check_value(value)
    return value


def _find_surrogate(data: str | bytes) -> None:
    """Raise :class:`InvalidJSON` naming the field that holds the lone surrogate
    orjson refused: the standard parser accepts it (a shallow document only;
    orjson has already read everything before the surrogate)."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return
    _check_value(value)


class StrictJSONProvider(DefaultJSONProvider):
    """The app's JSON: responses as Quart makes them, request bodies through
    :func:`strict_loads`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s)


class ShopRequest(Request):
    """A request whose refused JSON body is answered with the reason."""

    def on_json_loading_failed(self, error: Exception) -> Any:
        if isinstance(error, InvalidJSON):
            if error.status == 422:
                raise Problem(422, "Validation failed", "The request body contains invalid text.",
                              errors={error.field: error.message})
            raise Problem(400, "Bad request", f"The request body {error.message}.")
        return super().on_json_loading_failed(error)


def _undecodable_fields(encoded: bytes) -> dict[str, str]:
    """Fields of a url-encoded string whose name or value is not UTF-8 text without NUL."""
    errors: dict[str, str] = {}
    for pair in encoded.replace(b";", b"&").split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        value = unquote_to_bytes(raw_value.replace(b"+", b" "))
        try:
            text_name, text_value = name.decode("utf-8"), value.decode("utf-8")
        except UnicodeDecodeError:
            errors[name.decode("utf-8", "replace").replace("\x00", "") or "?"] = "is not valid UTF-8 text"
            continue
        if "\x00" in text_name or "\x00" in text_value:
            errors[text_name.replace("\x00", "") or "?"] = "contains a NUL character (U+0000)"
    return errors


async def _refuse(status: int, title: str, detail: str, errors: dict[str, str] | None = None):
    if request.path.startswith("/api/"):
        return problem_response(status, title, detail, errors=errors)
    return await simple_page(status, title, detail)


def install(app: Quart) -> None:
    app.json = StrictJSONProvider(app)
    app.request_class = ShopRequest

    @app.before_request
    async def _check_inputs():
        if request.path.startswith("/webhooks/"):
            return None
        if "\x00" in request.path:
            return await _refuse(400, "Bad request", "The path contains a NUL character (U+0000).",
                                 {"path": "contains U+0000"})
        errors = _undecodable_fields(request.query_string)
        if errors:
            return await _refuse(422, "Validation failed", "The query string contains invalid text.", errors)
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        if request.is_json:
            if await request.get_data():
                await request.get_json()  # a refused body raises Problem (ShopRequest)
        elif request.mimetype == "application/x-www-form-urlencoded":
            errors = _undecodable_fields(await request.get_data())
            if errors:
                return await _refuse(422, "Validation failed", "The form contains invalid text.", errors)
        return None
