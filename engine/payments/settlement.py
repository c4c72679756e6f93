"""Where provider reports enter: webhooks, the shopper's return and status
polls, each applied in one transaction with the order locked, so a payment is
recorded exactly once whichever arrives first (see
:mod:`engine.payments.reports`).

The return endpoint (``GET /checkout/return/<plugin>``) calls
:func:`complete_return`: the gateway's ``complete(reference, params)``
confirms or captures as the provider needs (outside any transaction) and
reports where the payment stands; the report is applied like a webhook's.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog

from engine.db.sql import fetch
from engine.errors import NotFound, PluginFailure
from engine.orders.services import lock_order, order_for_shopper, order_row
from engine.payments import records, reports
from engine.payments.gateways import GatewayEntry
from engine.protocols import WebhookOutcome

log = structlog.get_logger("shopwright.payments")


async def apply_locked(runtime, payment: Mapping[str, Any], report: WebhookOutcome, actor: str,
                       claim_event: str | None = None) -> str:
    """Apply ``report`` to ``payment`` in one transaction with the order
    locked. ``claim_event`` (a webhook's event id) is remembered in
    ``payment_events`` in the same transaction; an id seen before answers
    ``duplicate`` and changes nothing. Returns ``applied``, ``unchanged`` or
    ``duplicate``."""
    async with runtime.database.transaction():
        order = await lock_order(payment["order_id"])
        fresh = await records.get(payment["id"])
        if claim_event is not None:
            claimed = await fetch(
                "INSERT INTO payment_events (plugin, event_id, payment, status, outcome, received_at) "
                "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (plugin, event_id) DO NOTHING RETURNING id",
                fresh["plugin"], claim_event, fresh["id"], report.status,
                json.dumps({"reference": report.reference, "status": report.status,
                            "provider_id": report.provider_id,
                            "amount": report.amount.to_json() if report.amount else None}),
                datetime.now(UTC))
            if not claimed:
                return "duplicate"
        result = await reports.apply_report(order, fresh, report, actor)
    runtime.events_committed()
    return result


def _checked(entry: GatewayEntry, report: Any, what: str) -> WebhookOutcome:
    if not isinstance(report, WebhookOutcome):
        raise PluginFailure(entry.plugin, f"The payment provider ({entry.plugin}) answered the {what} with "
                                          f"{report!r}, not a WebhookOutcome.")
    return report


async def complete_return(runtime, plugin: str, number: str, token: str | None, params: Mapping[str, str],
                          customer: int | None = None) -> dict[str, Any]:
    """The shopper came back from ``plugin``'s payment step for order
    ``number`` (with its access token, or signed in as its customer): let
    the gateway complete the payment and record what it reports (the
    order's newest payment through ``plugin``, even when the shopper has
    since chosen another method: money that moved is recorded). Returns
    ``{"number", "token", "status", "payment"}``; an order the caller may
    not see is :class:`NotFound`, a gateway that fails is a 502 (the order
    is unchanged; the webhook or the reconciliation still settles it)."""
    order = await order_for_shopper(runtime, number, token, customer)
    row = await order_row(number)
    payment = await records.latest_of_plugin(row["id"], plugin)
    if payment is None or not payment["reference"]:
        raise NotFound(f"Order {number} has no payment with {plugin!r} to complete.")
    entry = await records.gateway_for(runtime, payment)
    report = await records.call_gateway(runtime, entry, "payment completion",
                                        lambda: entry.gateway.complete(payment["reference"], dict(params)))
    result = await apply_locked(runtime, payment, _checked(entry, report, "completion"), "customer")
    log.info("payment.returned", order=number, plugin=plugin, status=report.status, result=result)
    return {"number": number, "token": order["access_token"], "status": report.status, "result": result}


async def apply_status(runtime, entry: GatewayEntry, payment: Mapping[str, Any]) -> str:
    """Ask the provider where ``payment`` stands (``status``) and apply the
    answer once (reconciliation)."""
    report = await records.call_gateway(runtime, entry, "status query",
                                        lambda: entry.gateway.status(payment["reference"]))
    return await apply_locked(runtime, payment, _checked(entry, report, "status query"), "system")
