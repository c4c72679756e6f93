"""Products in the admin: ``/admin/products`` (the list, ``catalog:read``)
and its bulk actions (``POST /admin/products/bulk``, ``catalog:write``).

The list searches the title, slug or the start of a SKU, filters by status
and category and pages by cursor (keyset on the id, never OFFSET:
:func:`engine.catalog.manage.list_products`). The bulk form acts on the
products ticked: publish, unpublish, a price change by a percentage or an
amount, or adding them to a category (:mod:`engine.catalog.bulk_edit`).

A price change is typed with its sign (``+10``, ``-2.50``; ``-10 %`` as a
percentage): a change without a sign, an amount in the percentage field
style (``10%`` as an amount), a comma or more decimals than the currency has
is refused as ambiguous, never guessed (:func:`read_change`).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, current_app, redirect, request

from engine.admin.access import staff_page
from engine.admin.amounts import AmountError, parse_amount
from engine.admin.rendering import render_admin
from engine.catalog import bulk_edit, manage
from engine.catalog.tables import PRODUCT_STATUSES
from engine.db.sql import reading
from engine.errors import InvalidInput, ShopError
from engine.web.audit import record

blueprint = Blueprint("admin_products", __name__)

READ, WRITE = "catalog:read", "catalog:write"
PAGE_SIZE = 50
FILTER_FIELDS = ("q", "status", "category")
BULK_ACTIONS = ("publish", "unpublish", "price", "category")
_PERCENT = re.compile(r"([+-])\s*([0-9]{1,5}(?:\.[0-9]{1,2})?)\s*%?")
DONE = {"publish": "{n} products published.", "unpublish": "{n} products unpublished.",
        "price": "{n} prices changed.", "category": "{n} products added to the category.",
        "deleted": "Product deleted."}


def read_change(mode: str, text: str, currency: str) -> tuple[Decimal | None, int | None]:
    """``(percent, None)`` or ``(None, amount in minor units)`` from the bulk
    form's price change; :class:`InvalidInput` at ``change`` when it is
    ambiguous or unreadable."""
    raw = (text or "").strip()
    if raw[:1] not in ("+", "-"):
        raise InvalidInput("change", {"change": "Write the change with its sign: +10 to raise, -10 to lower."})
    if mode == "percent":
        match = _PERCENT.fullmatch(raw)
        if match is None:
            raise InvalidInput("change", {"change": "Enter a percentage like -10 or +2.5 (at most 2 decimals)."})
        value = Decimal(match.group(2))
        return (value if match.group(1) == "+" else -value), None
    if mode != "amount":
        raise InvalidInput("change", {"change": "Choose a percentage or an amount."})
    if "%" in raw:
        raise InvalidInput("change", {"change": "This is an amount; choose percentage for a change in %."})
    try:
        minor = parse_amount(raw[1:], currency)
    except AmountError as exc:
        raise InvalidInput("change", {"change": str(exc)}) from None
    return None, (minor if raw[0] == "+" else -minor)


def read_filters(args: Any) -> tuple[dict[str, str], dict[str, str]]:
    typed = {name: str(args.get(name, "")).strip()[:200] for name in FILTER_FIELDS}
    errors = {}
    if typed["status"] and typed["status"] not in PRODUCT_STATUSES:
        errors["status"] = f"must be one of {', '.join(PRODUCT_STATUSES)}"
    return typed, errors


async def _list_page(status: int = 200, error: str = "", bulk_errors: dict[str, str] | None = None,
                     message: str = ""):
    typed, errors = read_filters(request.args)
    async with reading():
        categories = await manage.list_categories()
        context: dict[str, Any] = {"typed": typed, "errors": errors, "statuses": PRODUCT_STATUSES,
                                   "categories": categories, "products": [], "next_url": None,
                                   "bulk_errors": bulk_errors or {}, "error": error, "message": message,
                                   "bulk": {}, "first_page": not request.args.get("cursor")}
        if errors:
            return await render_admin("admin/products.html", status=422, **context)
        try:
            items, cursor = await manage.list_products(request.args.get("cursor") or None, PAGE_SIZE,
                                                       typed["status"] or None, typed["q"] or None,
                                                       typed["category"] or None)
        except InvalidInput as exc:
            return await render_admin("admin/products.html", status=422,
                                      **{**context, "errors": exc.errors or {"cursor": str(exc)}})
    kept = {name: value for name, value in typed.items() if value}
    context["first_url"] = "/admin/products" + ("?" + urlencode(kept) if kept else "")
    if cursor:
        context["next_url"] = "/admin/products?" + urlencode({**kept, "cursor": cursor})
    context["products"] = items
    return await render_admin("admin/products.html", status=status, **context)


@blueprint.get("/admin/products")
@staff_page(READ)
async def product_list():
    done, count = request.args.get("done", ""), request.args.get("n", "")
    message = DONE[done].format(n=int(count)) if done in DONE and count.isdigit() and len(count) < 10 else ""
    return await _list_page(message=message)


@blueprint.post("/admin/products/bulk")
@staff_page(WRITE)
async def bulk_action():
    form = await request.form
    action = form.get("action", "")
    ids = form.getlist("product")
    try:
        if action not in BULK_ACTIONS:
            raise InvalidInput("action", {"action": "Choose an action."})
        if action in ("publish", "unpublish"):
            count = await bulk_edit.set_status(current_app.runtime, ids,
                                               "published" if action == "publish" else "draft")
            details: dict[str, Any] = {}
        elif action == "price":
            percent, amount = read_change(form.get("change_mode", ""), form.get("change", "")[:50],
                                          current_app.settings.store.currency)
            count = await bulk_edit.change_prices(current_app.runtime, ids, percent=percent, amount=amount)
            details = {"percent": str(percent)} if percent is not None else {"amount": amount}
        else:
            count = await bulk_edit.add_to_category(current_app.runtime, ids, form.get("category", "")[:200])
            details = {"category": form.get("category", "")[:200]}
    except ShopError as exc:
        errors = dict(getattr(exc, "errors", None) or {})
        return await _list_page(exc.status, error=str(next(iter(errors.values()), exc)), bulk_errors=errors)
    await record(f"product.bulk_{action}", "products=" + ",".join(str(i) for i in ids)[:350],
                 {**details, "products": len(ids), "changed": count})
    return redirect("/admin/products?" + urlencode({"done": action, "n": count}), 303)
