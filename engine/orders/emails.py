"""Which order events send which e-mail, and the context each gets."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import structlog

from engine.db.sql import fetchone
from engine.events import DomainEvent
from engine.notifications import mailer
from engine.orders.services import access_token, order_json

log = structlog.get_logger("shopwright.mail")

#: Outbox event name → e-mail template name.
EVENT_TEMPLATES = {
    "order_placed": "order_confirmation",
    "order_paid": "payment_received",
    "shipment_shipped": "order_shipped",
    "order_cancelled": "order_cancelled",
    "order_refunded": "order_refunded",
}


class PaymentStartPending(RuntimeError):
    """Raised (and so retried with backoff) while a new order's payment is being started."""


def _payment_starting(runtime, order: dict[str, Any], row: dict[str, Any]) -> bool:
    """True while the order's payment has neither started nor failed, for at
    most the payment deadline after placement (then the e-mail goes anyway)."""
    payment = order["payment"]
    if row["status"] != "pending_payment" or payment.get("status") != "pending" or payment.get("reference") \
            or payment.get("error"):
        return False
    placed = row["placed_at"]
    if isinstance(placed, datetime) and placed.tzinfo is None:
        placed = placed.replace(tzinfo=timezone.utc)
    age = (datetime.now(timezone.utc) - placed).total_seconds() if isinstance(placed, datetime) else 0
    return age < runtime.settings.checkout.payment_timeout_seconds + 5


async def handle(runtime, event: DomainEvent) -> bool:
    """Send the e-mail for ``event`` (once); False when the event sends none."""
    name = EVENT_TEMPLATES.get(event.name)
    number = (event.payload or {}).get("number")
    if name is None or not number:
        return False
    row = await fetchone("SELECT * FROM orders WHERE number = {}", str(number))
    if row is None:
        log.warning("mail.order_missing", event_id=event.id, number=number)
        return False
    order = await order_json(runtime, row, with_token=True)
    if name == "order_confirmation" and _payment_starting(runtime, order, row):
        raise PaymentStartPending(f"order {number}: the payment is still being started; the confirmation "
                                  f"e-mail waits for its instructions (retried)")
    token = access_token(runtime.settings.secret_key, row["number"], row["token_salt"])
    context: dict[str, Any] = {
        "order": order,
        "event": event.payload,
        "order_url": f"{runtime.settings.store.base_url.rstrip('/')}/orders/{row['number']}?token={token}",
        "payment": order["payment"],
    }
    return await mailer.deliver(runtime, f"event:{event.id}:{name}", name, row["email"], context, row["number"])
