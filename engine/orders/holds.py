"""Order holds: an order kept for review before its money is taken or its
goods leave.

A plugin places a hold (through ``engine.sdk.hold_order``) with a ``code``
(what kind of review: ``risk``, ``address``, ...), a ``score`` (0–100) and
``reasons`` (short sentences for staff). While any hold of an order is
``open``:

- capturing its payment is refused (:func:`ensure_not_held`, called by
  :func:`engine.payments.actions.capture`: the admin page and
  ``POST /api/v1/admin/orders/<number>/capture``), and
- creating a shipment is refused (:func:`engine.orders.actions.fulfill`),

each with :class:`OrderHeld` — 409, problem type ``/problems/order-held``,
"order is held for review". Nothing else is blocked: a gateway that takes
the money at checkout still does (the order becomes ``paid``), a manual
payment can still be recorded, the order can still be cancelled or refunded.

A hold ends one way only, and once:

- **released** — staff approved the order (:func:`release`); the order goes
  on as if it had never been held;
- **cancelled** — the order was cancelled through the normal cancel path
  (:func:`engine.payments.actions.cancel`: the authorization voided or the
  payment refunded as usual), which closes every open hold
  (:func:`close_open_in_tx`); ``fraud`` records that staff cancelled it as
  fraudulent.

Each step is on the order's timeline (kind ``hold``) and emits an outbox
event in the same transaction: ``order_held`` (``hold_id``, ``code``,
``plugin``, ``score``, ``reasons``) and ``order_hold_released`` (``hold_id``,
``code``, ``plugin``, ``resolution``: ``released``, ``cancelled`` or
``fraud``); each payload also has ``order_id`` and ``number``.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Sequence

from engine import outbox
from engine.db.sql import fetch, fetchone
from engine.errors import Conflict, IllegalTransition, InvalidInput
from engine.orders.services import hold_json, order_and_child
from engine.orders.transitions import record

CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
MAX_REASONS = 20
MAX_REASON_LENGTH = 300


class OrderHeld(Conflict):
    """Capture or fulfillment of an order with an open hold."""

    title = "Order held for review"
    type = "/problems/order-held"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_hold(code: Any, score: Any, reasons: Any) -> tuple[str, int, list[str]]:
    """The hold's fields checked; InvalidInput naming each bad one."""
    errors = {}
    if not isinstance(code, str) or not CODE.fullmatch(code):
        errors["code"] = "1 to 64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit"
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        errors["score"] = "a whole number from 0 to 100"
    if (not isinstance(reasons, (list, tuple)) or len(reasons) > MAX_REASONS
            or not all(isinstance(r, str) and r.strip() for r in reasons)):
        errors["reasons"] = f"a list of at most {MAX_REASONS} non-empty sentences"
    if errors:
        raise InvalidInput("The hold is not valid: " + "; ".join(f"{k} must be {v}" for k, v in errors.items()) + ".",
                           errors)
    return code, score, [r.strip()[:MAX_REASON_LENGTH] for r in reasons]


async def place_in_tx(order: dict[str, Any], plugin: str, code: str, score: int, reasons: Sequence[str]) -> dict[str, Any]:
    """Inside a transaction: put ``order`` (a row with ``id`` and ``number``)
    on hold; returns the hold as :func:`hold_json`. A second hold with the
    same ``code`` by the same ``plugin`` while the first is open returns the
    first (a retried placement holds once)."""
    code, score, reasons = check_hold(code, score, reasons)
    existing = await fetchone("SELECT * FROM order_holds WHERE order_id = {} AND plugin = {} AND code = {} "
                              "AND status = 'open'", order["id"], plugin, code)
    if existing is not None:
        return hold_json(existing)
    row = await fetchone("INSERT INTO order_holds (order_id, plugin, code, score, reasons, status, fraud, resolved_by, "
                         "created_at, resolved_at) VALUES ({}, {}, {}, {}, {}, 'open', {}, '', {}, NULL) RETURNING *",
                         order["id"], plugin, code, score, json.dumps(reasons), False, _now())
    await record(order["id"], "hold", f"plugin:{plugin}", f"Held for review ({code}, score {score}): "
                 + ("; ".join(reasons) or "no reason given") + ".", data={"hold_id": row["id"], "code": code})
    await outbox.emit("order_held", {"order_id": order["id"], "number": order["number"], "hold_id": row["id"],
                                     "code": code, "plugin": plugin, "score": score, "reasons": reasons})
    return hold_json(row)


async def holds_of(order_id: int) -> list[dict[str, Any]]:
    """Every hold of the order, oldest first, as :func:`hold_json`."""
    return [hold_json(row) for row in await fetch("SELECT * FROM order_holds WHERE order_id = {} ORDER BY id",
                                                  order_id)]


async def ensure_not_held(order: dict[str, Any], what: str) -> None:
    """Raise :class:`OrderHeld` when ``order`` (a row) has an open hold;
    ``what`` is the refused action (``captured``, ``shipped``)."""
    held = await fetch("SELECT code FROM order_holds WHERE order_id = {} AND status = 'open' ORDER BY id", order["id"])
    if held:
        codes = ", ".join(row["code"] for row in held)
        raise OrderHeld(f"Order {order['number']} is held for review ({codes}); it cannot be {what} until staff "
                        "approve it.", {"holds": "order is held for review"})


async def release(runtime: Any, number: str, hold_id: Any, actor: str, note: str = "") -> dict[str, Any]:
    """Staff approved: hold ``hold_id`` of order ``number`` released. Releasing
    a released hold again changes nothing; a cancelled one is refused (409).
    Returns the hold as :func:`hold_json`."""
    async with runtime.database.transaction():
        order, row = await order_and_child(number, "order_holds", hold_id, "hold")
        if row["status"] == "released":
            return hold_json(row)
        if row["status"] != "open":
            raise IllegalTransition(f"Hold {row['id']} is {row['status']}; it cannot be released.",
                                    {"hold": f"{row['status']} → released is not allowed"})
        updated = await fetchone("UPDATE order_holds SET status = 'released', resolved_by = {}, resolved_at = {} "
                                 "WHERE id = {} AND status = 'open' RETURNING *", actor[:200], _now(), row["id"])
        if updated is None:
            raise Conflict(f"Hold {row['id']} changed meanwhile; try again.")
        await record(order["id"], "hold", actor, note or f"Hold {row['id']} ({row['code']}) released: approved.",
                     data={"hold_id": row["id"], "resolution": "released"})
        await _emit_released(order, updated, "released")
    runtime.events_committed()
    return hold_json(updated)


async def close_open_in_tx(order: dict[str, Any], actor: str, fraud: bool = False) -> int:
    """Inside the cancelling transaction: every open hold of ``order`` closed
    as cancelled (``fraud`` recorded on it). Returns how many were open."""
    closed = await fetch("UPDATE order_holds SET status = 'cancelled', fraud = {}, resolved_by = {}, resolved_at = {} "
                         "WHERE order_id = {} AND status = 'open' RETURNING *", fraud, actor[:200], _now(), order["id"])
    for row in sorted(closed, key=lambda r: r["id"]):
        await record(order["id"], "hold", actor, f"Hold {row['id']} ({row['code']}) closed: order cancelled"
                     + (" as fraudulent." if fraud else "."),
                     data={"hold_id": row["id"], "resolution": "fraud" if fraud else "cancelled"})
        await _emit_released(order, row, "fraud" if fraud else "cancelled")
    return len(closed)


async def _emit_released(order: dict[str, Any], row: dict[str, Any], resolution: str) -> None:
    await outbox.emit("order_hold_released", {"order_id": order["id"], "number": order["number"], "hold_id": row["id"],
                                              "code": row["code"], "plugin": row["plugin"], "resolution": resolution})
