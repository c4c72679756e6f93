"""URL converters for every route of the app (core, surfaces and plugins).

``<sku:name>`` is :class:`SkuConverter`. ``<int:name>`` is :class:`IdConverter`: it matches ASCII digits whose value
fits a database id (``0 ≤ n ≤`` :data:`MAX_ID`, the range of a 32-bit
serial). Anything else — ``2147483648``, ``99999999999999999999``, ``²`` —
matches no route, so it is answered 404 like any unknown path, on HTML pages
and the JSON API alike, and never reaches a query that cannot hold it.
:func:`install` must run before any blueprint is registered (a rule looks its
converter up when it is added).
"""
from __future__ import annotations

from quart import Quart
from werkzeug.routing import IntegerConverter, Map, PathConverter

#: The largest id any table holds (ids are 32-bit serials).
MAX_ID = 2**31 - 1


def _digits_up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers 0..``limit`` (leading zeros allowed below its length)."""
    text = str(limit)
    options = [f"[0-9]{{1,{len(text) - 1}}}"]
    for position, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - position - 1
            options.append(text[:position] + f"[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    options.append(text)
    return "(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """An integer path parameter bounded to a database id (``min``/``max`` may narrow it)."""

    #: ASCII digits (``\d`` would also match other scripts' digits) of a number
    #: up to MAX_ID. The pattern itself bounds the value: werkzeug checks a rule's
    #: method before its converter, so a value refused only by ``to_python`` would
    #: answer 405 from a sibling rule of another method instead of 404.
    regex = _digits_up_to(MAX_ID)

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 0, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


class SkuConverter(PathConverter):
    """``<sku:name>``: a SKU, which may hold slashes, in a path that also has the
    variant's sub-resources ``.../stock``, ``.../stock/<warehouse>`` and
    ``.../price``. The SKU never takes those endings, so ``PATCH
    /variants/A/stock`` is the stock resource's 405 (with ``Allow``), not a
    change to a variant called ``A/stock``."""

    regex = r"[^/](?:(?!/stock(?:/[^/]+)?$|/price$).)*"


def install(app: Quart) -> None:
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["sku"] = SkuConverter
