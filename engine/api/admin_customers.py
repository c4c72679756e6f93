"""Admin JSON API for customers (what ``/admin/customers`` shows, for scripts
and back-office tools):

- ``GET /api/v1/admin/customers?q=&cursor=&limit=`` (``customers:read``):
  newest account first, ``q`` matching part of the e-mail address or name;
  ``{"items": [...], "next_cursor": ...}``
- ``GET /api/v1/admin/customers/<id>`` (``customers:read``): the profile with
  ``addresses`` and ``orders``
- ``GET /api/v1/admin/customers/<id>/export`` (``customers:read``): everything
  the shop keeps about the customer, audited as ``customer.export``
- ``DELETE /api/v1/admin/customers/<id>`` (``customers:write``): delete the
  account at the customer's request (orders stay, anonymised), audited as
  ``customer.delete``; 409 while an order is open; 204 when done

The views call :mod:`engine.accounts.directory`, as the admin pages do.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from quart import Blueprint, current_app
from quart_schema import validate_querystring

from engine.accounts import directory
from engine.accounts.customers import CustomerError
from engine.accounts.roles import NotFound
from engine.api.schemas import CustomerListQuery
from engine.db.sql import reading
from engine.web.audit import mark_audited, request_actor
from engine.web.guard import require_permission
from engine.web.problems import Problem

blueprint = Blueprint("admin_customers_api", __name__, url_prefix="/api/v1/admin/customers")

READ, WRITE = "customers:read", "customers:write"


def _json(value: Any) -> Any:
    """``value`` with datetimes as ISO 8601 text, recursively."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value


def _not_found(customer_id: int) -> Problem:
    return Problem(404, "Not found", f"There is no customer {customer_id}.")


@blueprint.get("")
@require_permission(READ)
@validate_querystring(CustomerListQuery)
async def list_customers(query_args: CustomerListQuery):
    """Customers, newest first; ``q`` searches e-mail and name; keyset pages by ``cursor``."""
    async with reading():
        found = await directory.find_customers(query_args.q.strip(), query_args.cursor or None, query_args.limit)
    return _json(found)


@blueprint.get("/<int:customer_id>")
@require_permission(READ)
async def get_customer(customer_id: int):
    """One customer with addresses and orders."""
    try:
        async with reading():
            found = await directory.profile(customer_id)
    except NotFound:
        raise _not_found(customer_id) from None
    return _json(found)


@blueprint.get("/<int:customer_id>/export")
@require_permission(READ)
async def export_customer(customer_id: int):
    """Everything kept about the customer (audited as ``customer.export``)."""
    try:
        data = await directory.export_for_staff(request_actor(), customer_id)
    except NotFound:
        raise _not_found(customer_id) from None
    mark_audited()
    return _json(data), 200, {"Cache-Control": "private, no-store"}


@blueprint.delete("/<int:customer_id>")
@require_permission(WRITE)
async def delete_customer(customer_id: int):
    """Delete the account at the customer's request (orders stay, anonymised)."""
    try:
        await directory.delete_on_request(current_app.runtime, request_actor(), customer_id)
    except NotFound:
        raise _not_found(customer_id) from None
    except CustomerError as exc:
        raise Problem(409, "Not deleted", str(exc)) from None
    mark_audited()
    return "", 204
