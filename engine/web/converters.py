"""URL converters for every route of the app (core, surfaces and plugins).

``<int:name>`` is :class:`IdConverter`: it matches ASCII digits whose value
fits a database id (``0 ≤ n ≤`` :data:`MAX_ID`, the range of a 32-bit
serial). Anything else — ``2147483648``, ``99999999999999999999``, ``²`` —
matches no route, so it is answered 404 like any unknown path, on HTML pages
and the JSON API alike, and never reaches a query that cannot hold it.
:func:`install` must run before any blueprint is registered (a rule looks its
converter up when it is added).
"""
from __future__ import annotations

from quart import Quart
from werkzeug.routing import IntegerConverter, Map

#: The largest id any table holds (ids are 32-bit serials).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """An integer path parameter bounded to a database id (``min``/``max`` may narrow it)."""

    regex = r"[0-9]{1,10}"  # ASCII only: \d would also match other scripts' digits

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 0, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


def install(app: Quart) -> None:
    app.url_map.converters["int"] = IdConverter
