"""Orders in the admin: ``/admin/orders`` (the list) and
``/admin/orders/<number>`` (one order and what staff do with it).

The list (``orders:read``) filters by status, payment and fulfillment state
and the day placed, searches by number, e-mail or name and pages by cursor
(:func:`engine.orders.listing.find_orders`). Filters that cannot be read
come back at their fields (422).

The order page and its forms are in :mod:`engine.admin.order_page`.
"""
from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, request

from engine.admin.access import staff_page
from engine.admin.rendering import render_admin
from engine.db.sql import reading
from engine.errors import InvalidInput
from engine.orders.listing import (
    FULFILLMENT_STATES,
    PAYMENT_STATES,
    OrderFilters,
    find_orders,
)
from engine.orders.services import ORDER_STATUSES

blueprint = Blueprint("admin_orders", __name__)

READ = "orders:read"
PAGE_SIZE = 50
FILTER_FIELDS = ("status", "payment", "fulfillment", "placed_from", "placed_to", "q")


def _day(raw: str, field: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = "must be a day written YYYY-MM-DD"
        return None


def read_filters(args: Any) -> tuple[OrderFilters, dict[str, str], dict[str, str]]:
    """The list's query string as ``(filters, typed values, field errors)``."""
    typed = {name: str(args.get(name, "")).strip()[:200] for name in FILTER_FIELDS}
    errors: dict[str, str] = {}
    filters = OrderFilters(status=typed["status"], payment=typed["payment"], fulfillment=typed["fulfillment"],
                           placed_from=_day(typed["placed_from"], "placed_from", errors),
                           placed_to=_day(typed["placed_to"], "placed_to", errors), query=typed["q"])
    errors.update(filters.errors())
    return filters, typed, errors


@blueprint.get("/admin/orders")
@staff_page(READ)
async def order_list():
    filters, typed, errors = read_filters(request.args)
    context = {"typed": typed, "errors": errors, "statuses": ORDER_STATUSES, "payment_states": PAYMENT_STATES,
               "fulfillment_states": FULFILLMENT_STATES, "orders": [], "next_url": None}
    if errors:
        return await render_admin("admin/orders.html", status=422, **context)
    try:
        async with reading():
            found = await find_orders(filters, request.args.get("cursor") or None, PAGE_SIZE)
    except InvalidInput as exc:
        return await render_admin("admin/orders.html", status=422, **{**context, "errors": exc.errors or {
            "cursor": str(exc)}})
    kept = {name: value for name, value in typed.items() if value}
    context["first_url"] = "/admin/orders" + ("?" + urlencode(kept) if kept else "")
    if found["next_cursor"]:
        context["next_url"] = "/admin/orders?" + urlencode({**kept, "cursor": found["next_cursor"]})
    context["orders"] = found["items"]
    context["first_page"] = not request.args.get("cursor")
    return await render_admin("admin/orders.html", **context)
