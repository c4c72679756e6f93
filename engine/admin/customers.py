"""Customers in the admin: ``/admin/customers`` (list, search by e-mail or
name, keyset pages) and ``/admin/customers/<id>`` (profile, addresses and
orders), with ``customers:read``; the data export
(``/admin/customers/<id>/export``, a JSON download, also ``customers:read``)
and deletion on the customer's request (``/admin/customers/<id>/delete``: a
confirm page, then the POST; ``customers:write``).

The views call :mod:`engine.accounts.directory`, which writes the audit
entries; a refusal (an open order, no such customer) is the "Not done" page.
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

from quart import Blueprint, Response, current_app, g, redirect, request

from engine.accounts import directory
from engine.accounts.customers import CustomerError
from engine.accounts.roles import AccountError, grants
from engine.admin.access import staff_page
from engine.admin.common import form_fields, refuse, refused
from engine.admin.rendering import render_admin
from engine.db.sql import reading
from engine.errors import InvalidInput
from engine.web.audit import mark_audited, request_actor

blueprint = Blueprint("admin_customers", __name__)

READ, WRITE = "customers:read", "customers:write"
PAGE_SIZE = 50
LINK = "/admin/customers"


@blueprint.get("/admin/customers")
@staff_page(READ)
async def customer_list():
    query = str(request.args.get("q", "")).strip()[:directory.MAX_QUERY]
    cursor = request.args.get("cursor") or None
    context = {"q": query, "customers": [], "next_url": None, "errors": {}, "first_page": not cursor}
    try:
        async with reading():
            found = await directory.find_customers(query, cursor, PAGE_SIZE)
    except InvalidInput as exc:
        context["errors"] = exc.errors or {"cursor": str(exc)}
        return await render_admin("admin/customers.html", status=400, **context)
    kept = {"q": query} if query else {}
    context["first_url"] = LINK + ("?" + urlencode(kept) if kept else "")
    if found["next_cursor"]:
        context["next_url"] = LINK + "?" + urlencode({**kept, "cursor": found["next_cursor"]})
    context["customers"] = found["items"]
    return await render_admin("admin/customers.html", **context)


@blueprint.get("/admin/customers/<int:customer_id>")
@staff_page(READ)
async def customer_detail(customer_id: int):
    try:
        async with reading():
            found = await directory.profile(customer_id)
    except AccountError as exc:
        return await refused(exc, LINK)
    return await render_admin("admin/customer.html", can_write=grants(g.actor["permissions"], WRITE), **found)


@blueprint.get("/admin/customers/<int:customer_id>/export")
@staff_page(READ)
async def customer_export(customer_id: int):
    """The customer's data as a JSON file (audited as ``customer.export``)."""
    try:
        data = await directory.export_for_staff(request_actor(), customer_id)
    except AccountError as exc:
        return await refused(exc, LINK)
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return Response(body, content_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="customer-{customer_id}.json"',
        "Cache-Control": "private, no-store"})


@blueprint.get("/admin/customers/<int:customer_id>/delete")
@staff_page(WRITE)
async def customer_delete_confirm(customer_id: int):
    try:
        async with reading():
            found = await directory.profile(customer_id)
    except AccountError as exc:
        return await refused(exc, LINK)
    return await render_admin("admin/customer_delete.html", errors={}, **found)


@blueprint.post("/admin/customers/<int:customer_id>/delete")
@staff_page(WRITE)
async def customer_delete(customer_id: int):
    form = await form_fields()
    if str(form.get("confirm", "")) != "yes":
        try:
            found = await directory.profile(customer_id)
        except AccountError as exc:
            return await refused(exc, LINK)
        return await render_admin("admin/customer_delete.html", status=422, **found,
                                  errors={"confirm": "Tick the box to confirm the customer asked for this."})
    try:
        await directory.delete_on_request(current_app.runtime, request_actor(), customer_id)
    except AccountError as exc:
        return await refused(exc, LINK)
    except CustomerError as exc:
        return await refuse(str(exc), f"{LINK}/{customer_id}", 409)
    mark_audited()
    return redirect(LINK + "?deleted=1", 303)
