"""The plugin's settings (``shopwright plugins configure risk key=value``).

A rule's weight is how many points (0–100) it adds when it fires; 0 turns
the rule off. Points combine as independent evidence (see
:func:`shopwright_risk.rules.combine`), so the score stays within 0–100.
"""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from shopwright_risk.rules import RULES


class RiskSettings(BaseModel):
    threshold: int = Field(70, ge=1, le=100, description="Orders scoring at least this (0–100) are held for review.")
    velocity_window_hours: int = Field(24, ge=1, le=24 * 30,
                                       description="How far back the velocity rules count earlier orders.")
    velocity_limit: int = Field(3, ge=1, le=1000,
                                description="Earlier orders within the window (same e-mail, address or payer) "
                                            "from which a velocity rule fires.")
    large_order_factor: Decimal = Field(Decimal("3"), ge=Decimal("1"), le=Decimal("100"),
                                        description="A first order this many times the shop's average order value "
                                                    "is unusually large.")
    min_history: int = Field(20, ge=1, le=1000,
                             description="Orders scored before the average order value (of the latest 1,000) is trusted.")
    failed_payments_limit: int = Field(2, ge=1, le=100,
                                       description="Refused payments for the e-mail within the window from which "
                                                   "the failed_payments rule fires.")
    extra_disposable_domains: str = Field("", max_length=5000,
                                          description="More disposable e-mail domains, separated by spaces or commas.")
    weight_email_velocity: int = Field(RULES["email_velocity"], ge=0, le=100)
    weight_ip_velocity: int = Field(RULES["ip_velocity"], ge=0, le=100)
    weight_payer_velocity: int = Field(RULES["payer_velocity"], ge=0, le=100)
    weight_country_mismatch: int = Field(RULES["country_mismatch"], ge=0, le=100)
    weight_large_first_order: int = Field(RULES["large_first_order"], ge=0, le=100)
    weight_failed_payments: int = Field(RULES["failed_payments"], ge=0, le=100)
    weight_disposable_email: int = Field(RULES["disposable_email"], ge=0, le=100)
    model_enabled: bool = Field(True, description="Also score with the learnt model once one is trained.")
    min_labelled: int = Field(50, ge=10, le=1_000_000,
                              description="Labelled orders needed before the model is trained.")
    train_every_hours: int = Field(6, ge=1, le=24, description="How often the worker retrains (from its next start).")

    def weights(self) -> dict[str, int]:
        """Rule name → its weight (0: off)."""
        return {name: getattr(self, f"weight_{name}") for name in RULES}
