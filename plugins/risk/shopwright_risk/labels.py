"""Labels for the model, from what staff decide (worker side, idempotent):

- an order cancelled as fraudulent (``order_cancelled`` with ``fraud``;
  the hold's "Cancel order" with "Fraudulent" ticked) or marked fraudulent
  later, e.g. after a chargeback (``order_marked_fraudulent``) → 1;
- a hold released (staff approved the order) → 0;
- a shipment created for an order not labelled yet → 0 (goods left the
  shop and nobody objected).

A fraud label is never overwritten by a later 0. Orders scored before the
plugin was enabled have no assessment and get no label.
"""
from __future__ import annotations

from typing import Any

from shopwright_risk.tables import RiskAssessment

EVENTS = ("order_cancelled", "order_hold_released", "order_marked_fraudulent", "shipment_created")


def label_of(name: str, payload: dict[str, Any]) -> int | None:
    """The label an event gives its order, or None."""
    if (name == "order_cancelled" and payload.get("fraud")) or name == "order_marked_fraudulent":
        return 1
    if name == "order_hold_released" and payload.get("resolution") == "released":
        return 0
    if name == "shipment_created":
        return 0
    return None


async def apply(event: Any) -> None:
    label = label_of(event.name, dict(event.payload))
    order_id = event.payload.get("order_id")
    if label is None or not isinstance(order_id, int):
        return
    where = RiskAssessment.order_id == order_id
    if label == 0:
        where = where & RiskAssessment.label.is_null()
    await RiskAssessment.update({RiskAssessment.label: label}).where(where)
