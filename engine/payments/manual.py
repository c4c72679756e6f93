"""The core manual payment method (bank transfer, cash on delivery, ...).

Nothing moves money online: the order waits in ``pending_payment`` with the
merchant's instructions, and staff record the money when it arrives
(``POST /api/v1/admin/orders/<number>/mark-paid``). Capture, refund and
cancel only record what staff did outside the shop.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.money import Money
from engine.protocols import (
    GatewayCapabilities,
    PaymentAction,
    PaymentOutcome,
    WebhookOutcome,
)

GATEWAY_ID = "manual"
#: The bank details a merchant may set, with how the instructions name them.
BANK_FIELDS = {"account_holder": "Account holder", "bank_name": "Bank", "iban": "IBAN", "bic": "BIC"}


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class ManualGateway:
    """A :class:`engine.protocols.PaymentGateway` that records only.

    ``bank`` holds the merchant's bank details (``account_holder``,
    ``bank_name``, ``iban``, ``bic``): each may be used in the instructions
    as ``{account_holder}`` …, and those set are listed after instructions
    that name none of them, so the shopper always sees where to pay."""

    id = GATEWAY_ID
    capabilities = GatewayCapabilities(refund=True, partial_refund=True, multiple_refund=True, flow="none")

    def __init__(self, title: str, instructions: str, bank: Mapping[str, str] | None = None) -> None:
        self.title = title
        self.instructions = instructions
        self.bank = {key: value for key, value in (bank or {}).items() if value}

    def instructions_for(self, order: Mapping[str, Any]) -> str:
        """The instructions with ``{number}``, ``{total}``, ``{email}`` and the
        bank details filled in."""
        total = order.get("total")
        shown = f"{total.as_decimal()} {total.currency}" if isinstance(total, Money) else str(total or "")
        text = self.instructions.format_map(_Values(number=order.get("number", ""), total=shown,
                                                    email=order.get("email", ""), **self.bank))
        if self.bank and not any("{" + key + "}" in self.instructions for key in BANK_FIELDS):
            text += " " + "; ".join(f"{BANK_FIELDS[key]}: {value}" for key, value in self.bank.items()
                                    if key in BANK_FIELDS) + "."
        return text

    async def start(self, order: Mapping[str, Any]) -> PaymentAction:
        return PaymentAction(kind="none", reference=f"manual-{order['number']}",
                             data={"instructions": self.instructions_for(order)})

    async def capture(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome:
        return PaymentOutcome("succeeded")

    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> PaymentOutcome:
        """Staff gave the money back outside the shop; recorded only."""
        return PaymentOutcome("succeeded")

    async def cancel(self, reference: str, idempotency_key: str) -> PaymentOutcome:
        return PaymentOutcome("succeeded")

    async def complete(self, reference: str, params: Mapping[str, str]) -> WebhookOutcome:
        return WebhookOutcome(event_id=f"return:{reference}", reference=reference, status=None)

    async def status(self, reference: str) -> WebhookOutcome:
        return WebhookOutcome(event_id=f"status:{reference}", reference=reference, status=None)

    async def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        raise ValueError("manual payments receive no webhooks")
