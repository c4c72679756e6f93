"""The bare Quart endpoint the category page benchmark compares against:
no database, no templates, no middleware (``bench/category_page.py``)."""
from __future__ import annotations

from quart import Quart, Response

app = Quart("bare")
PAGE = "<!doctype html><html lang=en><title>Bare</title><h1>Hello</h1></html>"


@app.get("/bare")
async def bare() -> Response:
    return Response(PAGE, content_type="text/html; charset=utf-8")
