"""Returns: the shopper asks to send back shipped units; staff approve (or
reject) and receive them, putting them back in stock when they say so.

``requested → approved → received``, or ``requested → rejected``. A request
is accepted within ``fulfillment.return_window_days`` of the order's last
shipment (0: returns are off), for at most the units shipped and not already
in another (not rejected) return. Each step is a conditional UPDATE on the
old status, a timeline entry and an outbox event (``return_requested``,
``return_approved``, ``return_rejected``, ``return_received``) in one
transaction. Refunding is the payment contract's: staff refund the amount
through the order's gateway (:func:`engine.payments.actions.refund`).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

from engine import outbox
from engine.db.sql import fetch, fetchone
from engine.errors import IllegalTransition, InvalidInput
from engine.orders import stock
from engine.orders.services import lock_order, order_and_child
from engine.orders.transitions import record

STEPS = {"approve": ("requested", "approved"), "reject": ("requested", "rejected"),
         "receive": ("approved", "received")}
MAX_REASON = 2000


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def return_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "lines": json.loads(row["lines"] or "[]"), "reason": row["reason"],
            "status": row["status"], "restocked": row["restocked"],
            "requested_at": _aware(row["created_at"]).isoformat() if row["created_at"] else None}


async def returns_of(order_id: int) -> list[dict[str, Any]]:
    return [return_json(r) for r in await fetch("SELECT * FROM order_returns WHERE order_id = {} ORDER BY id",
                                                order_id)]


async def returnable(runtime, order: Mapping[str, Any]) -> dict[str, int]:
    """SKU → units the shopper may still ask to return now (empty: none, or
    the window has closed)."""
    days = runtime.settings.fulfillment.return_window_days
    shipments = await fetch("SELECT lines, created_at FROM order_fulfillments WHERE order_id = {} ORDER BY id",
                            order["id"])
    if not days or not shipments or _now() > _aware(shipments[-1]["created_at"]) + timedelta(days=days):
        return {}
    left: dict[str, int] = {}
    for shipment in shipments:
        for line in json.loads(shipment["lines"] or "[]"):
            left[line["sku"]] = left.get(line["sku"], 0) + int(line["quantity"])
    for earlier in await fetch("SELECT lines FROM order_returns WHERE order_id = {} AND status <> 'rejected'",
                               order["id"]):
        for line in json.loads(earlier["lines"] or "[]"):
            left[line["sku"]] = left.get(line["sku"], 0) - int(line["quantity"])
    return {sku: units for sku, units in left.items() if units > 0}


async def request_return(runtime, order: Mapping[str, Any], lines: Mapping[str, int], reason: str,
                         actor: str = "customer") -> dict[str, Any]:
    """A return of ``lines`` (SKU → units; zeros ignored) of ``order`` (a row
    the caller has checked is the shopper's). InvalidInput naming the field
    (``qty.<sku>``, ``lines``, ``reason``) when it cannot be accepted."""
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise InvalidInput(f"The reason may be at most {MAX_REASON} characters.", {"reason": "too long"})
    wanted = {sku: units for sku, units in lines.items() if units}
    async with runtime.database.transaction():
        await lock_order(order["id"])   # two requests at once cannot together ask for more than was shipped
        left = await returnable(runtime, order)
        if not left:
            raise InvalidInput("This order has nothing that can be returned now.",
                               {"lines": "nothing to return (not shipped, already returned, or too late)"})
        if not wanted:
            raise InvalidInput("Choose how many of which items you send back.", {"lines": "nothing chosen"})
        for sku, units in wanted.items():
            if isinstance(units, bool) or not isinstance(units, int) or units < 0 or units > left.get(sku, 0):
                raise InvalidInput(f"At most {left.get(sku, 0)} of {sku} can be returned.",
                                   {f"qty.{sku}": f"at most {left.get(sku, 0)}"})
        chosen = [{"sku": sku, "quantity": units} for sku, units in wanted.items()]
        now = _now()
        row = await fetchone("INSERT INTO order_returns (order_id, lines, reason, status, restocked, created_at, "
                             "updated_at) VALUES ({}, {}, {}, 'requested', 0, {}, {}) RETURNING *", order["id"],
                             json.dumps(chosen), reason.strip(), now, now)
        await record(order["id"], "return", actor, f"Return {row['id']} requested: "
                     + ", ".join(f"{l['quantity']} × {l['sku']}" for l in chosen) + ".", data={"return_id": row["id"]})
        await outbox.emit("return_requested", {"number": order["number"], "order_id": order["id"],
                                               "return_id": row["id"], "lines": chosen})
    runtime.events_committed()
    return return_json(row)


async def advance(runtime, number: str, return_id: Any, step: str, actor: str,
                  restock: bool = False) -> dict[str, Any]:
    """``approve``, ``reject`` or ``receive`` return ``return_id`` of order
    ``number``; receiving with ``restock`` puts its units back on hand."""
    if step not in STEPS:
        raise InvalidInput(f"Unknown step {step!r}.", {"step": f"one of {', '.join(STEPS)}"})
    before, after = STEPS[step]
    async with runtime.database.transaction():
        order, row = await order_and_child(number, "order_returns", return_id, "return")
        lines = json.loads(row["lines"] or "[]")
        restocked = 0
        if step == "receive" and restock:
            for line in lines:
                restocked += await stock.restock_units(order["id"], line["sku"], int(line["quantity"]))
        updated = await fetchone("UPDATE order_returns SET status = {}, restocked = {}, updated_at = {} WHERE id = {} "
                                 "AND status = {} RETURNING *", after, restocked, _now(), row["id"], before)
        if updated is None:
            raise IllegalTransition(f"Return {row['id']} is {row['status']}; it cannot be {after}.",
                                    {"status": f"{row['status']} → {after} is not allowed"})
        note = f"Return {row['id']} {after}" + (f"; {restocked} unit(s) back in stock." if restocked else ".")
        await record(order["id"], "return", actor, note, data={"return_id": row["id"], "restocked": restocked})
        await outbox.emit(f"return_{after}", {"number": number, "order_id": order["id"], "return_id": row["id"],
                                              "lines": lines, "restocked": restocked})
    runtime.events_committed()
    return return_json(updated)


def form_lines(fields: Mapping[str, str], skus: Sequence[str]) -> dict[str, int]:
    """``qty.<sku>`` form fields as SKU → units (InvalidInput for a non-number)."""
    chosen = {}
    for sku in skus:
        raw = str(fields.get(f"qty.{sku}", "")).strip()
        if not raw:
            continue
        if not raw.isdigit() or len(raw) > 6:
            raise InvalidInput("Quantities are whole numbers.", {f"qty.{sku}": "must be a whole number"})
        chosen[sku] = int(raw)
    return chosen
