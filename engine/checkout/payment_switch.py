"""Paying another way: the shopper of an order awaiting payment (back from a
provider's page they cancelled, or whose card was declined) picks another of
the shop's payment methods. The order keeps its lines, totals and stock
reservation (until it expires); only its payment is replaced
(:func:`engine.payments.actions.replace_payment_in_tx`) and the new one is
started like at checkout (:func:`engine.checkout.service.start_payment`).
"""
from __future__ import annotations

from typing import Any

from engine.checkout.service import start_payment
from engine.errors import InvalidInput, PluginFailure
from engine.orders.services import lock_order, order_for_shopper, order_row
from engine.payments import actions as payments
from engine.payments.gateways import available_gateways
from engine.plugins import HookError

MAX_METHOD_ID = 200


async def payment_choices(runtime, order: dict[str, Any]) -> list[dict[str, str]]:
    """The methods the shopper of ``order`` (the shopper's order JSON) may
    switch to: ``[{"id", "title"}]`` of every active gateway taking the
    order's currency but the one in use; empty once the order no longer awaits payment or when the gateways
    cannot be listed (the page then simply offers no switch)."""
    if order["status"] != "pending_payment":
        return []
    try:
        entries = await available_gateways(runtime, order["currency"])
    except HookError:
        return []
    current = (order.get("payment") or {}).get("method") or order.get("payment_method")
    return [{"id": entry.id, "title": entry.gateway.title} for entry in entries if entry.id != current]


async def switch_payment_method(runtime, number: str, token: str | None, customer: int | None, method: Any,
                                actor: str = "customer") -> str:
    """Replace the payment of order ``number`` (seen with its access token,
    or by the signed-in customer who placed it; else NotFound) by a new one
    with gateway ``method`` and start it; returns the order number.

    Idempotent: asking again for the method already in use starts its
    payment if it has not started (a start that failed is retried) and
    changes nothing else. Errors: InvalidInput (422) for a method the shop
    does not offer in the order's currency; Conflict (409) while money is held on the current
    payment; IllegalTransition (409) once the order is paid or cancelled;
    PluginFailure (502) when the new provider cannot start the payment (the
    switch is kept; asking again retries the start)."""
    order = await order_for_shopper(runtime, number, token, customer)
    if not isinstance(method, str) or not method or len(method) > MAX_METHOD_ID:
        raise InvalidInput("Choose a payment method.", {"payment_method": "is required"})
    try:
        entries = await available_gateways(runtime, order["currency"])
        entry = next((entry for entry in entries if entry.id == method), None)
    except HookError as exc:
        raise PluginFailure(exc.plugin, f"The payment methods cannot be listed: plugin {exc.plugin!r} "
                                        f"{exc.reason}.") from exc
    if entry is None:
        raise InvalidInput(f"{method!r} is not a payment method of this shop.",
                           {"payment_method": "not offered by this shop"})
    row = await order_row(number)
    if row["payment_method"] != entry.id or row["status"] != "pending_payment":
        async with runtime.database.transaction():
            locked = await lock_order(row["id"])
            await payments.replace_payment_in_tx(locked, entry, actor)
    await start_payment(runtime, row["id"])
    return number
