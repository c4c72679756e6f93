"""The order state machine and the timeline.

::

    pending_payment ──paid──▶ paid ──▶ partially_fulfilled ──▶ fulfilled ──▶ completed
          │                    │  ╲__________________________╱    │             │
          ▼                    ▼            (refunds from any paid state)        ▼
      cancelled            cancelled      partially_refunded ──▶ refunded

:data:`TRANSITIONS` is the whole truth: a change not listed there is refused
with :class:`engine.errors.IllegalTransition` (HTTP 409). Every
change is a conditional ``UPDATE orders SET status = new WHERE id = ? AND
status = old``, so two concurrent changes cannot both win, and is written to
the timeline (``order_events``) with who did it, when and why, in the same
transaction as its outbox event.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable

from engine import outbox
from engine.db.sql import fetch, fetchone
from engine.errors import Conflict, IllegalTransition

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_payment": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"partially_fulfilled", "fulfilled", "cancelled", "partially_refunded", "refunded"}),
    "partially_fulfilled": frozenset({"partially_fulfilled", "fulfilled", "partially_refunded", "refunded"}),
    "fulfilled": frozenset({"completed", "partially_refunded", "refunded"}),
    "completed": frozenset({"partially_refunded", "refunded"}),
    "partially_refunded": frozenset({"partially_refunded", "refunded", "partially_fulfilled", "fulfilled",
                                     "completed"}),
    "refunded": frozenset(),
    "cancelled": frozenset(),
}
#: States in which money has been received.
PAID_STATES = frozenset({"paid", "partially_fulfilled", "fulfilled", "completed", "partially_refunded", "refunded"})


def allowed(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def sources_of(new: str) -> list[str]:
    """Every state from which ``new`` may be reached."""
    return sorted(state for state, targets in TRANSITIONS.items() if new in targets)


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def record(order_id: int, kind: str, actor: str, note: str = "", from_status: str | None = None,
                 to_status: str | None = None, data: dict[str, Any] | None = None) -> None:
    """Add a timeline entry (inside the caller's transaction)."""
    await fetch("INSERT INTO order_events (order_id, kind, from_status, to_status, actor, note, data, created_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, {}, {})", order_id, kind, from_status, to_status, actor[:200], note,
                json.dumps(data or {}, default=str), _now())


async def transition(order: dict[str, Any], new: str, actor: str, note: str = "",
                     expect: Iterable[str] | None = None, event: str | None = None,
                     payload: dict[str, Any] | None = None, set_values: dict[str, Any] | None = None,
                     guard: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move ``order`` (a row) to ``new`` inside the caller's transaction.

    Refused unless the stored status is the row's (or one of ``expect``) and
    :data:`TRANSITIONS` allows the step. ``set_values`` are written in the
    same UPDATE, which also requires the columns in ``guard`` to still hold
    their given values (no lost update); ``event`` is emitted to the outbox with ``payload`` (plus
    ``number``, ``status``, ``previous_status``). Returns the updated row.
    """
    current = order["status"]
    expected = list(expect) if expect is not None else [current]
    legal = [state for state in expected if allowed(state, new)]
    if not legal:
        raise IllegalTransition(f"Order {order['number']} cannot go from {current} to {new}.",
                                {"status": f"{current} → {new} is not allowed"})
    sets = {"status": new, "updated_at": _now(), **(set_values or {})}
    assignments = ", ".join(f"{column} = {{}}" for column in sets)
    marks = ", ".join("{}" for _ in legal)
    guards = "".join(f" AND {column} = {{}}" for column in (guard or {}))
    row = await fetchone(
        f"UPDATE orders SET {assignments} WHERE id = {{}} AND status IN ({marks}){guards} RETURNING *",
        *sets.values(), order["id"], *legal, *(guard or {}).values())
    if row is None:
        fresh = await fetchone("SELECT status FROM orders WHERE id = {}", order["id"])
        if guard and fresh and fresh["status"] in legal:
            raise Conflict(f"Order {order['number']} changed meanwhile; try again.")
        raise IllegalTransition(
            f"Order {order['number']} cannot go from {fresh['status'] if fresh else current} to {new}.",
            {"status": f"{fresh['status'] if fresh else current} → {new} is not allowed"})
    previous = current if current in legal else legal[0]
    await record(order["id"], "status", actor, note, previous, new)
    if event:
        await outbox.emit(event, {**(payload or {}), "order_id": order["id"], "number": order["number"],
                                  "status": new, "previous_status": previous})
    return row
