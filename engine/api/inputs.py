"""Input hygiene for the JSON API: text that no database can store is refused
before any handler sees it.

- PostgreSQL text cannot hold the NUL character (U+0000), so a path, query
  parameter or JSON string containing it is answered ``400`` (problem+json)
  under ``/api/``, on every database alike, instead of failing deep inside a
  query.
"""
from __future__ import annotations

import re

from quart import Quart, request

from engine.web.problems import Problem

#: A JSON ``\\u0000`` escape that is not itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _refuse(where: str) -> None:
    raise Problem(400, "Bad request", f"The {where} contains a NUL character (U+0000), which is not allowed.",
                  errors={where: "contains U+0000"})


def install(app: Quart) -> None:
    @app.before_request
    async def _check_inputs() -> None:
        if not request.path.startswith("/api/"):
            return
        if "\x00" in request.path:
            _refuse("path")
        for name, value in request.args.items(multi=True):
            if "\x00" in name or "\x00" in value:
                _refuse("query")
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype.endswith("json"):
            body = await request.get_data()
            if b"\x00" in body or _JSON_NUL.search(body):
                _refuse("body")
