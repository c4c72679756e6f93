"""Order JSON API: the shopper's view (``/api/v1/orders/<number>?token=``) and
the admin API (``/api/v1/admin/orders``: ``orders:read`` / ``orders:write``)."""
from __future__ import annotations

from pydantic import ValidationError
from quart import Blueprint, current_app, g, request
from quart_schema import (
    document_querystring,
    document_request,
    document_response,
    validate_querystring,
    validate_request,
)

from engine.api.checkout import signed_in_customer
from engine.api.openapi import optional_body
from engine.api.schemas import (
    CancelIn,
    CaptureIn,
    FulfillmentIn,
    NoteIn,
    NoteRequiredIn,
    OrderListOut,
    OrderListQuery,
    OrderOut,
    OrderQuery,
    PaymentMethodIn,
    RefundIn,
)
from engine.checkout.payment_switch import switch_payment_method
from engine.errors import InvalidInput
from engine.orders import actions, holds, services
from engine.payments import actions as payments
from engine.payments import views as payment_views
from engine.web.guard import require_permission

blueprint = Blueprint("orders_api", __name__, url_prefix="/api/v1/orders")
admin = Blueprint("admin_orders_api", __name__, url_prefix="/api/v1/admin/orders")


@blueprint.get("/<number>")
@document_querystring(OrderQuery)
@document_response(OrderOut)
async def get_order(number: str):
    """The order, for the holder of its access token (``?token=``) or the
    signed-in customer who placed it; 404 otherwise."""
    return await services.order_for_shopper(current_app.runtime, number, request.args.get("token"),
                                            signed_in_customer())


@blueprint.post("/<number>/payment-method")
@document_querystring(OrderQuery)
@validate_request(PaymentMethodIn)
@document_response(OrderOut)
async def change_payment_method(number: str, data: PaymentMethodIn):
    """Pay an order that awaits payment another way (``?token=`` or the
    signed-in customer, as for reading it): its payment is replaced by one
    with ``payment_method`` and started; the order's ``payment`` says what
    to do next. 409 once money is held on the current payment or the order
    no longer awaits payment; 422 for a method the shop does not offer."""
    runtime, token, customer = current_app.runtime, request.args.get("token"), signed_in_customer()
    await switch_payment_method(runtime, number, token, customer, data.payment_method)
    return await services.order_for_shopper(runtime, number, token, customer)


def require_read(view):
    """``orders:read`` — or ``orders:write``, which includes reading the orders
    it changes. Both paths are the core's own guard (401, 403, two-factor)."""
    from functools import wraps

    from engine.accounts.permissions import actor_has
    from engine.web.guard import current_actor

    by_read = require_permission("orders:read")(view)
    by_write = require_permission("orders:write")(view)

    @wraps(view)
    async def guarded(*args, **kwargs):
        actor = await current_actor()
        if actor is not None and not actor_has(actor, "orders:read") and actor_has(actor, "orders:write"):
            return await by_write(*args, **kwargs)
        return await by_read(*args, **kwargs)

    guarded.required_permission = "orders:read"
    return guarded


def _actor() -> str:
    return actions.actor_label(g.get("actor"))


async def _staff_view(row):
    body = await services.order_json(current_app.runtime, row, staff=True)
    body["money"] = await payment_views.money_json(current_app.runtime, row)
    return body


async def _body(model):
    """An optional JSON body validated by ``model`` (an empty body is fine)."""
    data = await request.get_json(silent=True)
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        errors = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}
        raise InvalidInput("The request body is not valid.", errors) from None


@admin.get("")
@require_read
@validate_querystring(OrderListQuery)
@document_response(OrderListOut)
async def list_orders(query_args: OrderListQuery):
    """Orders, newest first; ``next_cursor`` pages on."""
    return await services.list_orders(query_args.status or None, query_args.email or None,
                                      query_args.cursor or None, query_args.limit)


@admin.get("/<number>")
@require_read
async def get_admin_order(number: str):
    """The order with its timeline, payments, fulfillments and reservations."""
    return await _staff_view(await services.order_row(number))


@optional_body
@admin.post("/<number>/mark-paid")
@require_permission("orders:write")
@document_request(NoteIn)
async def mark_paid(number: str):
    """Record that a manual payment (bank transfer, cash) was received. Marking
    an already paid order again changes nothing (200)."""
    body = await _body(NoteIn)
    row, _ = await payments.mark_paid(current_app.runtime, number, _actor(), body.note or "")
    return await _staff_view(row)


@optional_body
@admin.post("/<number>/capture")
@require_permission("orders:write")
@document_request(CaptureIn)
async def capture(number: str):
    """Capture the authorized payment through its gateway: all of it, or
    ``amount`` where the gateway captures partially (idempotent)."""
    body = await _body(CaptureIn)
    row, _ = await payments.capture(current_app.runtime, number, _actor(), body.amount)
    return await _staff_view(row)


@optional_body
@admin.post("/<number>/refund")
@require_permission("orders:write")
@document_request(RefundIn)
async def refund(number: str):
    """Refund ``amount`` minor units (default: everything not yet refunded).
    With an ``Idempotency-Key`` header, the same key again answers the first
    refund and never refunds twice."""
    body = await _body(RefundIn)
    key = (request.headers.get("Idempotency-Key") or "").strip()[:255] or None
    row = await payments.refund(current_app.runtime, number, _actor(), body.amount, body.note or "", key)
    return await _staff_view(row)


@optional_body
@admin.post("/<number>/cancel")
@require_permission("orders:write")
@document_request(CancelIn)
async def cancel(number: str):
    """Cancel an unpaid order, or a paid one that has not shipped (refunded in
    full); its open holds are closed. ``fraud: true`` records that it was
    fraudulent (on its holds and in the ``order_cancelled`` event)."""
    body = await _body(CancelIn)
    row = await payments.cancel(current_app.runtime, number, _actor(), body.note or "", fraud=body.fraud)
    return await _staff_view(row)


@optional_body
@admin.post("/<number>/fraud")
@require_permission("orders:write")
@document_request(NoteIn)
async def mark_fraudulent(number: str):
    """Record that staff judge the order fraudulent (a chargeback, a card
    reported stolen): on the timeline and as the ``order_marked_fraudulent``
    event; nothing else changes (refund or cancel it as usual). Marking it
    again changes nothing."""
    body = await _body(NoteIn)
    await actions.mark_fraudulent(current_app.runtime, number, _actor(), body.note or "")
    return await _staff_view(await services.order_row(number))


@optional_body
@admin.post("/<number>/holds/<hold_id>/release")
@require_permission("orders:write")
@document_request(NoteIn)
async def release_hold(number: str, hold_id: str):
    """Approve an order held for review: hold ``hold_id`` released (releasing
    it again changes nothing; 409 once the order was cancelled). With no hold
    left open the payment can be captured and the order shipped."""
    body = await _body(NoteIn)
    await holds.release(current_app.runtime, number, hold_id, _actor(), body.note or "")
    return await _staff_view(await services.order_row(number))


@optional_body
@admin.post("/<number>/fulfillments")
@require_permission("orders:write")
@document_request(FulfillmentIn)
async def fulfill(number: str):
    """Record a shipment of ``lines`` (default: everything not yet shipped)."""
    body = await _body(FulfillmentIn)
    lines = [line.model_dump() for line in body.lines] if body.lines is not None else None
    row = await actions.fulfill(current_app.runtime, number, _actor(), lines, body.tracking_number, body.carrier,
                                service=body.service, tracking_url=body.tracking_url, warehouse=body.warehouse,
                                status=body.status)
    return await _staff_view(row), 201


@optional_body
@admin.post("/<number>/complete")
@require_permission("orders:write")
@document_request(NoteIn)
async def complete(number: str):
    """fulfilled → completed."""
    body = await _body(NoteIn)
    row = await actions.complete(current_app.runtime, number, _actor(), body.note or "")
    return await _staff_view(row)


@admin.post("/<number>/notes")
@require_permission("orders:write")
@document_request(NoteRequiredIn)
async def add_note(number: str):
    """Add a note to the order's timeline."""
    body = await _body(NoteIn)
    if not (body.note or "").strip():
        raise InvalidInput("The note is empty.", {"note": "is required"})
    await actions.add_note(current_app.runtime, number, _actor(), body.note.strip())
    return await _staff_view(await services.order_row(number)), 201
