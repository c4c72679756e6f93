"""Carts that belong to a customer answer only to that customer.

A guest cart is reached by its secret id alone (``/api/v1/carts/<id>``).
Once a cart is tied to a customer (on sign-in), a request for it must also
come from that customer's session: anyone else — another customer, or
someone who only learnt the id — gets 404, exactly as for a cart that does
not exist, so they can neither read, change nor check out (pay) it. Orders
are guarded by the order service itself (access token or the customer who
placed it).
"""
from __future__ import annotations

from quart import Quart, request, session

from engine.cart.services import owner_of
from engine.web.problems import problem_response

CART_PREFIX = "/api/v1/carts/"


def _customer() -> int | None:
    value = session.get("customer_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def install(app: Quart) -> None:
    @app.before_request
    async def _cart_owner_only():
        if not request.path.startswith(CART_PREFIX):
            return None
        token = (request.view_args or {}).get("token")
        if not isinstance(token, str) or not token or len(token) > 64:
            return None
        exists, owner = await owner_of(token)
        if not exists or owner is None or owner == _customer():
            return None
        return problem_response(404, "Not Found", "There is no such cart.")
