"""The core manual payment method (bank transfer, cash on delivery, ...).

Nothing moves money online: the order waits in ``pending_payment`` with the
merchant's instructions, and staff record the money when it arrives
(``POST /api/v1/admin/orders/<number>/mark-paid``). Capture, refund and
cancel only record what staff did outside the shop.
"""
from __future__ import annotations

from typing import Any, Mapping

from engine.money import Money
from engine.protocols import PaymentAction, WebhookOutcome

GATEWAY_ID = "manual"


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class ManualGateway:
    """A :class:`engine.protocols.PaymentGateway` that records only."""

    id = GATEWAY_ID

    def __init__(self, title: str, instructions: str) -> None:
        self.title = title
        self.instructions = instructions

    def instructions_for(self, order: Mapping[str, Any]) -> str:
        """The instructions with ``{number}``, ``{total}`` and ``{email}`` filled in."""
        total = order.get("total")
        shown = f"{total.as_decimal()} {total.currency}" if isinstance(total, Money) else str(total or "")
        return self.instructions.format_map(_Values(number=order.get("number", ""), total=shown,
                                                    email=order.get("email", "")))

    async def start(self, order: Mapping[str, Any]) -> PaymentAction:
        return PaymentAction(kind="none", reference=f"manual-{order['number']}",
                             data={"instructions": self.instructions_for(order)})

    async def capture(self, reference: str, amount: Money) -> None:
        return None

    async def refund(self, reference: str, amount: Money) -> None:
        return None

    async def cancel(self, reference: str) -> None:
        return None

    async def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        raise ValueError("manual payments receive no webhooks")
