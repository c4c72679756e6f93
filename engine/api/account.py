"""The signed-in shopper's JSON API: ``/api/v1/account``.

Authenticated by the shopper's session cookie (sign in at
``/account/login``); a state-changing call must send the session's CSRF
token in ``X-CSRF-Token``. Everything is scoped to the signed-in customer:
another customer's address is 404, as if it did not exist.

- ``GET /api/v1/account``: the profile
- ``GET|POST /api/v1/account/addresses``; ``GET|PUT|DELETE /api/v1/account/addresses/<id>``
- ``GET /api/v1/account/orders``: order history (newest first)
- ``GET /api/v1/account/export``: all the customer's data (JSON)
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from quart import Blueprint, g, request, session

from engine.accounts import customers
from engine.web.problems import Problem

blueprint = Blueprint("account_api", __name__, url_prefix="/api/v1/account")


def _customer_id() -> int:
    value = session.get("customer_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise Problem(401, "Unauthorized", "Sign in first (/account/login); this API uses the session cookie.")
    return value


def signed_in(view: Callable) -> Callable:
    @wraps(view)
    async def wrapped(*args: Any, **kwargs: Any):
        customer_id = _customer_id()
        g.customer = await customers.get_customer(customer_id)
        if g.customer is None:
            raise Problem(401, "Unauthorized", "The account no longer exists.")
        return await view(customer_id, *args, **kwargs)

    wrapped.requires_customer = True  # the OpenAPI document lists 401 (engine.api.openapi)
    return wrapped


async def _body() -> dict:
    data = await request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(422, "Validation failed", "Send a JSON object.", errors={"body": "expected a JSON object"})
    return data


def _invalid(exc: customers.CustomerError) -> Problem:
    return Problem(422, "Validation failed", str(exc), errors=exc.errors or None)


@blueprint.get("")
@signed_in
async def profile(customer_id: int):
    return customers.public(g.customer)


@blueprint.get("/addresses")
@signed_in
async def list_addresses(customer_id: int):
    return {"items": await customers.list_addresses(customer_id)}


@blueprint.post("/addresses")
@signed_in
async def create_address(customer_id: int):
    data = await _body()
    try:
        return await customers.create_address(customer_id, data, default=bool(data.get("is_default"))), 201
    except customers.CustomerError as exc:
        raise _invalid(exc) from None


@blueprint.get("/addresses/<int:address_id>")
@signed_in
async def get_address(customer_id: int, address_id: int):
    found = await customers.get_address(customer_id, address_id)
    if found is None:
        raise Problem(404, "Not found", "There is no such address.")
    return found


@blueprint.route("/addresses/<int:address_id>", methods=["PUT", "PATCH"])
@signed_in
async def update_address(customer_id: int, address_id: int):
    data = await _body()
    current = await customers.get_address(customer_id, address_id)
    if current is None:
        raise Problem(404, "Not found", "There is no such address.")
    merged = {**current, **data} if request.method == "PATCH" else data
    try:
        default = data.get("is_default") if "is_default" in data else None
        return await customers.update_address(customer_id, address_id, merged, default=default)
    except customers.CustomerError as exc:
        raise _invalid(exc) from None


@blueprint.delete("/addresses/<int:address_id>")
@signed_in
async def delete_address(customer_id: int, address_id: int):
    if not await customers.delete_address(customer_id, address_id):
        raise Problem(404, "Not found", "There is no such address.")
    return "", 204


@blueprint.get("/orders")
@signed_in
async def orders(customer_id: int):
    return {"items": await customers.order_history(customer_id)}


@blueprint.get("/export")
@signed_in
async def export(customer_id: int):
    return await customers.export_data(customer_id)
