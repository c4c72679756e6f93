"""Cart JSON API: ``/api/v1/carts``. Thin: each route calls one cart service."""
from __future__ import annotations

from quart import Blueprint, current_app, request
from quart_schema import document_querystring, document_response, validate_request

from engine.cart import services
from engine.api.schemas import AddressQuery, CartLineIn, CartOut, QuantityIn, VoucherIn

blueprint = Blueprint("cart_api", __name__, url_prefix="/api/v1/carts")


def _address_args() -> dict | None:
    """A partial address from the query string (tax and shipping estimates)."""
    country = (request.args.get("country") or "").strip().upper()
    if not country:
        return None
    return {"country": country, "region": request.args.get("region") or None,
            "postal_code": request.args.get("postal_code") or ""}


async def _view(token: str, status: int = 200):
    return await services.view_cart(current_app.runtime, token, _address_args()), status


@blueprint.post("")
@document_response(CartOut, 201)
async def create_cart():
    """Create an empty cart. Its ``id`` is the cart's secret: keep it private."""
    token = await services.create_cart(current_app.runtime)
    return await _view(token, 201)


@blueprint.get("/<token>")
@document_querystring(AddressQuery)
@document_response(CartOut)
async def get_cart(token: str):
    """The cart, re-priced now, with every adjustment (and the plugin that made
    it), totals and notices about changed prices or stock. ``country``
    (and ``region``, ``postal_code``) estimate tax for a destination."""
    return await _view(token)


@blueprint.post("/<token>/lines")
@validate_request(CartLineIn)
@document_response(CartOut, 201)
async def add_line(token: str, data: CartLineIn):
    """Add units of a SKU (409 when stock is short, 422 for an unknown SKU)."""
    await services.add_line(current_app.runtime, token, data.sku, data.quantity)
    return await _view(token, 201)


@blueprint.patch("/<token>/lines/<path:sku>")
@validate_request(QuantityIn)
@document_response(CartOut)
async def set_quantity(token: str, sku: str, data: QuantityIn):
    """Set a line's quantity (0 removes the line)."""
    await services.set_quantity(current_app.runtime, token, sku, data.quantity)
    return await _view(token)


@blueprint.delete("/<token>/lines/<path:sku>")
@document_response(CartOut)
async def remove_line(token: str, sku: str):
    await services.remove_line(current_app.runtime, token, sku)
    return await _view(token)


@blueprint.post("/<token>/vouchers")
@validate_request(VoucherIn)
@document_response(CartOut, 201)
async def add_voucher(token: str, data: VoucherIn):
    """Enter a voucher code (422 with the reason when it does not apply)."""
    await services.add_voucher(current_app.runtime, token, data.code)
    return await _view(token, 201)


@blueprint.delete("/<token>/vouchers/<code>")
@document_response(CartOut)
async def remove_voucher(token: str, code: str):
    await services.remove_voucher(current_app.runtime, token, code)
    return await _view(token)
