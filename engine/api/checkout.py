"""Checkout JSON API: shipping and payment methods of a cart, and placing the
order (``POST /api/v1/carts/<id>/checkout`` with an ``Idempotency-Key``)."""
from __future__ import annotations

from quart import Blueprint, current_app, request, session
from quart_schema import document_headers, document_querystring, document_response, validate_request

from engine.checkout import service
from engine.protocols import OrderPlacement
from engine.web.client import client_ip
from engine.api.schemas import (
    AddressQuery,
    CheckoutHeaders,
    CheckoutIn,
    OrderOut,
    PaymentMethodsOut,
    ShippingMethodsOut,
)

blueprint = Blueprint("checkout_api", __name__, url_prefix="/api/v1/carts")


def signed_in_customer() -> int | None:
    """The shopper's customer id from the session, when signed in."""
    value = session.get("customer_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@blueprint.get("/<token>/shipping-methods")
@document_querystring(AddressQuery)
@document_response(ShippingMethodsOut)
async def shipping_methods(token: str):
    """Shipping options (``id``, ``label``, ``price``) for the cart, optionally
    for a destination (``country``, ``region``, ``postal_code``)."""
    address = None
    if request.args.get("country"):
        address = {"country": request.args["country"].strip().upper(), "region": request.args.get("region"),
                   "postal_code": request.args.get("postal_code") or ""}
    return await service.shipping_methods(current_app.runtime, token, address)


@blueprint.get("/<token>/payment-methods")
@document_response(PaymentMethodsOut)
async def payment_methods(token: str):
    """Payment methods (``id``, ``label``) of the active payment plugins."""
    return await service.payment_methods(current_app.runtime, token)


@blueprint.post("/<token>/checkout")
@validate_request(CheckoutIn)
@document_headers(CheckoutHeaders)
@document_response(OrderOut, 201)
@document_response(OrderOut, 200)
async def checkout(token: str, data: CheckoutIn):
    """Place the order. 201 with the order (``number``, ``status``,
    ``access_token``, totals, ``payment``: what to do next); 200 with the same
    order when the ``Idempotency-Key`` was used before for this request; 400
    without the header; 409 when stock is short (naming the SKU); 422 for
    invalid details (per-field ``errors``) or a key reused for another
    request; 502 when a plugin fails."""
    body = data.model_dump(exclude_none=True)
    order, created = await service.place_order(current_app.runtime, token, body,
                                               request.headers.get("Idempotency-Key"),
                                               customer=signed_in_customer(),
                                               context=OrderPlacement(client_ip(), "api"))
    return order, 201 if created else 200
