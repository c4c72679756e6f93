"""One order in the admin, ``/admin/orders/<number>`` (``orders:read``): lines
with options, totals, adjustments, tax lines, addresses, the payment ledger,
fulfillments and the event timeline — and, for staff with ``orders:write``,
the forms that act on it. Each form posts to ``/admin/orders/<number>/<action>``:

=============  ==========================================================
``mark-paid``  a manual payment arrived (:func:`engine.payments.actions.mark_paid`)
``capture``    capture the authorization, all or ``amount`` (``capture``)
``void``       release the authorization and cancel the unpaid order (``cancel``)
``refund``     refund ``amount`` (``refund``, with the form's idempotency key)
``cancel``     cancel (``cancel``; a paid, unshipped order is refunded in full)
``fulfill``    ship quantities per line from a warehouse, with carrier, service and
               tracking number and address (:func:`engine.orders.actions.fulfill`)
``shipment``   move a shipment's status forward (:func:`engine.orders.shipments.set_status`)
``return``     approve, reject or receive a return, restocking on receipt when asked
               (:func:`engine.orders.returns.advance`); the refund is the ``refund`` form
``complete``   fulfilled → completed (``complete``)
``note``       a note on the timeline (``add_note``)
``release-hold``  approve an order held for review (:func:`engine.orders.holds.release`)
``cancel-hold``   cancel a held order through ``cancel`` (void or refund as usual), ``fraud``
                  when staff judge it fraudulent
``mark-fraud``    staff judge the order fraudulent, e.g. after a chargeback
                  (:func:`engine.orders.actions.mark_fraudulent`)
=============  ==========================================================

While the order has an open hold (:mod:`engine.orders.holds`) the page shows
its score and reasons and offers neither capture nor shipping; the services
refuse both (409) until the hold is released.

These are the service calls the JSON admin API (:mod:`engine.api.orders`)
makes, so the rules, the ledger, the timeline and the events are the same.
The page offers only what the order's state and its gateway's capabilities
allow (:func:`offered_actions`); the services refuse the rest anyway.

Amounts are typed in major units of the order's currency and read exactly
(:mod:`engine.admin.amounts`). A refused or unreadable form comes back on the
order page with the message at its field and the service's status (4xx;
502 when the payment provider refused or did not answer). A success
redirects (303) back to the page and is audited as ``order.<action>``
(target ``number=<number>``; the amount in minor units for money movements).
Each refund form carries a fresh idempotency key, so a double-submitted refund
refunds once; every form also carries a one-time submission key
(:mod:`engine.admin.submissions`), so a double-submitted shipment ships once.
"""
from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, current_app, g, redirect, request

from engine.accounts.permissions import actor_has
from engine.admin.access import staff_page
from engine.admin.amounts import AmountError, format_major, parse_amount
from engine.admin.common import form_fields
from engine.admin.rendering import render_admin
from engine.admin.submissions import once_per_submission
from engine.db.sql import reading
from engine.errors import InvalidInput, NotFound, ShopError
from engine.orders import actions as order_actions
from engine.catalog.warehouses import warehouses_with_stock
from engine.orders import holds, returns, services, shipments
from engine.orders.actions import FULFILLABLE, REFUNDABLE
from engine.payments import actions as payments
from engine.payments import views as payment_views
from engine.web.audit import record

blueprint = Blueprint("admin_order_page", __name__)

READ = "orders:read"
WRITE = "orders:write"
#: the longest note, tracking number or carrier kept from a form
MAX_TEXT = 2000
DONE = {"mark-paid": "Payment recorded.", "capture": "Payment captured.", "void": "Authorization voided.",
        "refund": "Refund made.", "cancel": "Order cancelled.", "fulfill": "Shipment recorded.",
        "shipment": "Shipment status changed.", "return": "Return updated.",
        "complete": "Order completed.", "note": "Note added.", "release-hold": "Order approved.",
        "cancel-hold": "Order cancelled.", "mark-fraud": "Order marked fraudulent."}


#: the statuses a shipment may move on to, as the page offers them
NEXT_STATUSES = {status: shipments.SHIPMENT_STATUSES[index + 1:]
                 for index, status in enumerate(shipments.SHIPMENT_STATUSES)}


class FormError(InvalidInput):
    """A form field that could not be read (before any service was called)."""


def offered_actions(order: dict[str, Any], money: dict[str, Any]) -> dict[str, Any]:
    """What the page offers for ``order`` (the staff JSON of
    :func:`engine.orders.services.order_json`) and its ``money``
    (:func:`engine.payments.views.money_json`): action → its details
    (``partial``: an amount may be typed; ``amount``: the default or only one)."""
    status = order["status"]
    caps = money["capabilities"]
    payment_status = order["payment"]["status"]
    offers: dict[str, Any] = {}
    if status == "pending_payment" and (payment_status == "none" or caps is None or caps["flow"] == "none"):
        offers["mark-paid"] = {"amount": order["totals"]["total"]}
    if caps and caps["authorize_then_capture"] and money["capturable"] > 0 and status not in ("cancelled", "refunded"):
        offers["capture"] = {"amount": money["capturable"], "partial": caps["partial_capture"]}
    if caps and caps["void"] and status == "pending_payment" and payment_status == "authorized":
        offers["void"] = {"amount": money["authorized"]}
    if (caps and caps["refund"] and status in REFUNDABLE and money["refundable"] > 0
            and (caps["multiple_refund"] or not money["refunded"])):
        offers["refund"] = {"amount": money["refundable"], "partial": caps["partial_refund"]}
    if status == "pending_payment" or (status == "paid" and not order["totals"]["refunded"]):
        offers["cancel"] = {"refund": order["totals"]["paid"] if status == "paid" else 0}
    left = [line for line in order["lines"] if line["quantity"] > line["fulfilled_quantity"]]
    if status in FULFILLABLE and left:
        offers["fulfill"] = {"lines": left}
    if status == "fulfilled":
        offers["complete"] = {}
    offers["note"] = {}
    if not any(event["kind"] == "fraud" for event in order.get("events", [])):
        offers["mark-fraud"] = {}
    if any(hold["status"] == "open" for hold in order.get("holds", [])):
        offers.pop("capture", None)
        offers.pop("fulfill", None)
        offers["release-hold"] = {}
        if "cancel" in offers:
            offers["cancel-hold"] = offers["cancel"]
    return offers


async def _render(number: str, status: int = 200, failed: str = "", error: ShopError | None = None,
                  typed: dict[str, str] | None = None):
    runtime = current_app.runtime
    try:
        async with reading():  # one connection and one snapshot for the page's reads
            row = await services.order_row(number)
            order = await services.order_json(runtime, row, staff=True)
            money = await payment_views.money_json(runtime, row)
            warehouses = await warehouses_with_stock([])
            order_returns = await returns.returns_of(row["id"])
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc),
                                  link="/admin/orders")
    can_write = actor_has(g.actor, WRITE)
    offers = offered_actions(order, money) if can_write else {}
    currency = order["currency"]
    typed = dict(typed or {})
    field_errors = dict(error.errors) if error else {}
    if error is not None and not isinstance(error, FormError) and "amount" in field_errors and failed in offers:
        field_errors["amount"] = _amount_message(offers[failed], currency)
    if "refund" in offers:
        typed.setdefault("refund_key", secrets.token_urlsafe(18))
    return await render_admin(
        "admin/order.html", status=status, order=order, money=money, offers=offers, can_write=can_write,
        returns=order_returns, warehouses=warehouses, warehouse_names={w["id"]: w["name"] for w in warehouses},
        allocation=runtime.settings.fulfillment.allocation, next_statuses=NEXT_STATUSES,
        major=lambda minor: format_major(minor, currency), failed=failed, typed=typed,
        error=str(error) if error else "", field_errors=field_errors,
        at_field=any(_shown_at_field(key) for key in field_errors),
        done=DONE.get(request.args.get("done", ""), ""))


def _amount_message(offer: dict[str, Any], currency: str) -> str:
    """A service's refusal of an amount (told in minor units, as the JSON API
    speaks) said in the major units the field takes."""
    limit = format_major(offer["amount"], currency)
    if offer.get("partial"):
        return f"Enter an amount from {format_major(1, currency)} to {limit} {currency}."
    return f"This payment method takes the whole amount only: {limit} {currency}."


def _shown_at_field(key: str) -> bool:
    """Whether the page shows the error of ``key`` beside a field of the form
    (else the form's own alert shows the service's message)."""
    return key in ("amount", "note", "lines") or key.startswith("qty.")


@blueprint.get("/admin/orders/<number>")
@staff_page(READ)
async def order_page(number: str):
    return await _render(number)


# ---------------------------------------------------------------- the forms
def _text(fields: dict[str, str], name: str) -> str:
    return str(fields.get(name, "")).strip()[:MAX_TEXT]


def _amount(fields: dict[str, str], currency: str, required: bool) -> int | None:
    raw = str(fields.get("amount", "")).strip()
    if not raw and not required:
        return None
    try:
        return parse_amount(raw, currency)
    except AmountError as exc:
        raise FormError(str(exc), {"amount": str(exc)}) from None


def _actor() -> str:
    return order_actions.actor_label(g.actor)


async def _mark_paid(runtime, order, fields) -> dict[str, Any]:
    await payments.mark_paid(runtime, order["number"], _actor(), _text(fields, "note"))
    return {"amount": order["total"]}


async def _capture(runtime, order, fields) -> dict[str, Any]:
    amount = _amount(fields, order["currency"], required=False)
    await payments.capture(runtime, order["number"], _actor(), amount)
    return {"amount": amount}


async def _void(runtime, order, fields) -> dict[str, Any]:
    await payments.cancel(runtime, order["number"], _actor(), _text(fields, "note") or "Authorization voided.")
    return {}


async def _refund(runtime, order, fields) -> dict[str, Any]:
    amount = _amount(fields, order["currency"], required=True)
    key = _text(fields, "refund_key")[:255] or None
    await payments.refund(runtime, order["number"], _actor(), amount, _text(fields, "note"), key)
    return {"amount": amount}


async def _cancel(runtime, order, fields) -> dict[str, Any]:
    await payments.cancel(runtime, order["number"], _actor(), _text(fields, "note"))
    return {}


async def _release_hold(runtime, order, fields) -> dict[str, Any]:
    hold = _text(fields, "hold_id")
    await holds.release(runtime, order["number"], hold, _actor())
    return {"hold_id": hold}


async def _cancel_hold(runtime, order, fields) -> dict[str, Any]:
    fraud = fields.get("fraud") == "yes"
    await payments.cancel(runtime, order["number"], _actor(),
                          "Cancelled after review" + (" as fraudulent." if fraud else "."), fraud=fraud)
    return {"hold_id": _text(fields, "hold_id"), "fraud": fraud}


async def _mark_fraud(runtime, order, fields) -> dict[str, Any]:
    await order_actions.mark_fraudulent(runtime, order["number"], _actor(), _text(fields, "note"))
    return {}


async def _fulfill(runtime, order, fields) -> dict[str, Any]:
    lines, skus = [], []
    for line in await services.order_lines(order["id"]):
        name = f"qty.{line['sku']}"
        raw = str(fields.get(name, "")).strip()
        if not raw:
            continue
        if not raw.isdigit():
            raise FormError("Quantities are whole numbers.", {name: "must be a whole number"})
        if int(raw):
            lines.append({"sku": line["sku"], "quantity": int(raw)})
            skus.append(line["sku"])
    if not lines:
        raise FormError("Enter how many units of which line are shipped.", {"lines": "nothing to ship"})
    try:
        await order_actions.fulfill(runtime, order["number"], _actor(), lines, _text(fields, "tracking_number"),
                                    _text(fields, "carrier"), service=_text(fields, "service"),
                                    tracking_url=_text(fields, "tracking_url"),
                                    warehouse=_text(fields, "warehouse") or None,
                                    status="created" if fields.get("status") == "created" else "shipped")
    except InvalidInput as exc:  # lines.<index>.quantity → the line's field
        exc.errors = {(f"qty.{skus[int(key.split('.')[1])]}" if key.startswith("lines.") and key.count(".") == 2
                       else key): message for key, message in exc.errors.items()}
        raise
    return {"lines": lines}


async def _shipment(runtime, order, fields) -> dict[str, Any]:
    shipment = _text(fields, "fulfillment_id")
    status = _text(fields, "status")
    await shipments.set_status(runtime, order["number"], shipment, status, _actor())
    return {"fulfillment_id": shipment, "status": status}


async def _return(runtime, order, fields) -> dict[str, Any]:
    step, restock = _text(fields, "step"), fields.get("restock") == "yes"
    await returns.advance(runtime, order["number"], _text(fields, "return_id"), step, _actor(), restock)
    return {"return_id": _text(fields, "return_id"), "step": step, "restock": restock}


async def _complete(runtime, order, fields) -> dict[str, Any]:
    await order_actions.complete(runtime, order["number"], _actor(), _text(fields, "note"))
    return {}


async def _note(runtime, order, fields) -> dict[str, Any]:
    note = _text(fields, "note")
    if not note:
        raise FormError("The note is empty.", {"note": "Write the note first."})
    await order_actions.add_note(runtime, order["number"], _actor(), note)
    return {}


Handler = Callable[[Any, dict[str, Any], dict[str, str]], Awaitable[dict[str, Any]]]
HANDLERS: dict[str, Handler] = {"mark-paid": _mark_paid, "capture": _capture, "void": _void, "refund": _refund,
                                "cancel": _cancel, "fulfill": _fulfill, "shipment": _shipment, "return": _return,
                                "complete": _complete, "note": _note, "release-hold": _release_hold,
                                "cancel-hold": _cancel_hold, "mark-fraud": _mark_fraud}


async def _act(number: str, action: str):
    fields = await form_fields()
    try:
        order = await services.order_row(number)
    except NotFound as exc:
        return await render_admin("admin/message.html", status=404, title="Not found", message=str(exc),
                                  link="/admin/orders")
    try:
        details = await HANDLERS[action](current_app.runtime, order, fields)
    except ShopError as exc:
        typed = {f"{action}.{key}": str(value)[:MAX_TEXT] for key, value in fields.items() if key != "csrf_token"}
        if action == "refund":
            typed["refund_key"] = _text(fields, "refund_key")
        return await _render(number, status=exc.status if 400 <= exc.status < 600 else 422, failed=action,
                             error=exc, typed=typed)
    await record(f"order.{action.replace('-', '_')}", f"number={number}",
                 {key: value for key, value in details.items() if value is not None})
    return redirect(f"/admin/orders/{number}?done={action}", 303)


def _action_view(action: str):
    async def view(number: str):
        return await _act(number, action)

    view.__name__ = f"order_{action.replace('-', '_')}"
    view.__doc__ = f"``POST /admin/orders/<number>/{action}`` (``orders:write``)."
    return staff_page(WRITE)(once_per_submission(view))


for _action in HANDLERS:
    blueprint.add_url_rule(f"/admin/orders/<number>/{_action}", view_func=_action_view(_action), methods=["POST"])
