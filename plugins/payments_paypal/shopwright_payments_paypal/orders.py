"""PayPal's Orders v2 and Payments v2 objects as the shop's reports
(:class:`engine.protocols.WebhookOutcome`).

Where an order stands (:func:`order_outcome`):

- ``COMPLETED`` with a capture: the capture's status — ``COMPLETED`` (or
  refunded later) → ``paid`` (its amount and id), ``PENDING`` → ``pending``,
  ``DECLINED`` / ``FAILED`` → ``failed``;
- ``COMPLETED`` with an authorization: ``CREATED`` / ``PENDING`` →
  ``authorized`` (its amount and id), ``VOIDED`` / ``EXPIRED`` → ``cancelled``;
  a captured authorization reports its capture as above;
- ``VOIDED`` → ``cancelled``; anything else (``CREATED``,
  ``PAYER_ACTION_REQUIRED``, ``APPROVED``) → ``pending``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.protocols import WebhookOutcome
from shopwright_payments_paypal.client import to_money

PAID = {"COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"}


def payments(order: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """The captures and authorizations of an order's purchase units."""
    found: dict[str, list[Mapping[str, Any]]] = {"captures": [], "authorizations": []}
    for unit in order.get("purchase_units") or []:
        for kind, listed in found.items():
            listed.extend(((unit or {}).get("payments") or {}).get(kind) or [])
    return found


def capture_outcome(event_id: str, reference: str | None, capture: Mapping[str, Any],
                    source: str) -> WebhookOutcome:
    """A capture as a report (``paid`` / ``pending`` / ``failed``)."""
    status = capture.get("status")
    raw = {"capture": capture.get("id"), "status": status, "source": source}
    if status in PAID:
        report = "paid"
    elif status in ("DECLINED", "FAILED"):
        report = "failed"
    else:
        report = "pending"
    return WebhookOutcome(event_id, reference, report, to_money(capture.get("amount")),
                          provider_id=capture.get("id"), raw=raw)


def order_outcome(order: Mapping[str, Any], source: str) -> WebhookOutcome:
    """Where a PayPal order stands (see the module's list); ``source`` names
    who asked (``return``, ``poll``, a webhook event id)."""
    reference, status = order.get("id"), order.get("status")
    found = payments(order)
    event_id = f"{source}:{reference}:{status}"
    if found["captures"]:
        return capture_outcome(event_id, reference, found["captures"][-1], source)
    if found["authorizations"]:
        auth = found["authorizations"][-1]
        raw = {"authorization": auth.get("id"), "status": auth.get("status"), "source": source}
        if auth.get("status") in ("VOIDED", "EXPIRED"):
            return WebhookOutcome(event_id, reference, "cancelled", provider_id=auth.get("id"), raw=raw)
        if auth.get("status") in ("DENIED",):
            return WebhookOutcome(event_id, reference, "failed", raw=raw)
        return WebhookOutcome(event_id, reference, "authorized", to_money(auth.get("amount")),
                              provider_id=auth.get("id"), raw=raw)
    if status == "VOIDED":
        return WebhookOutcome(event_id, reference, "cancelled", provider_id=reference,
                              raw={"order": reference, "status": status})
    return WebhookOutcome(event_id, reference, "pending", raw={"order": reference, "status": status})
