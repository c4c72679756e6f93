"""The money side of an order as staff see it: the ledger, its totals and
what the gateway can still do (the API and the admin offer only that)."""
from __future__ import annotations

from typing import Any

from engine.errors import Conflict
from engine.payments import ledger, records


async def money_json(runtime, order: dict[str, Any]) -> dict[str, Any]:
    """``{"authorized", "captured", "refunded", "capturable", "refundable",
    "pending", "flag", "capabilities", "transactions"}`` for an order row
    (amounts in minor units of the order's currency; ``capabilities`` None
    when the payment's plugin is not active)."""
    payment = await records.latest(order["id"])
    transactions = await ledger.for_order(order["id"])
    if payment is None:
        return {"authorized": 0, "captured": 0, "refunded": 0, "capturable": 0, "refundable": 0, "pending": 0,
                "flag": None, "capabilities": None, "transactions": []}
    totals = await ledger.totals(payment["id"])
    try:
        capabilities = records.capabilities_json(records.capabilities(await records.gateway_for(runtime, payment)))
    except Conflict:
        capabilities = None
    return {
        "authorized": totals.authorized, "captured": totals.captured, "refunded": totals.refunded,
        "capturable": totals.capturable, "refundable": max(totals.refundable, 0),
        "pending": sum(1 for row in transactions if row["status"] == "pending"),
        "flag": payment["flag"] or None, "capabilities": capabilities,
        "transactions": [ledger.transaction_json(row) for row in transactions],
    }
