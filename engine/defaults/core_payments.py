"""Core manual payment: bank transfer / cash on delivery, marked paid by staff.

Configure: ``shopwright plugins configure core_payments title="Bank transfer"
account_holder="Shop Ltd" iban="DE89 3704 0044 0532 0130 00" bic=COBADEFFXXX``; the
instructions (``{number}``, ``{total}``, ``{email}``, ``{account_holder}``,
``{bank_name}``, ``{iban}``, ``{bic}``) are shown after checkout and in the
confirmation e-mail; bank details they do not name are listed after them.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from engine import PluginManifest, hookimpl
from engine.payments.manual import ManualGateway


class ManualPaymentSettings(BaseModel):
    title: str = "Bank transfer or cash on delivery"
    #: Shown after checkout and in the confirmation e-mail; {number}, {total}, {email} are filled in.
    instructions: str = ("Please pay {total} by bank transfer quoting order {number}, or in cash on delivery. "
                         "We ship once the payment has arrived.")
    account_holder: str = Field("", max_length=200, description="Name on the merchant's bank account")
    bank_name: str = Field("", max_length=200, description="The merchant's bank")
    iban: str = Field("", max_length=42, description="IBAN (or account number) the shopper transfers to")
    bic: str = Field("", max_length=11, description="BIC / SWIFT code of the bank")


MANIFEST = PluginManifest(
    name="core_payments", title="Manual payment", version="0.1.0", core=True, settings=ManualPaymentSettings,
    description="Bank transfer or cash on delivery; staff mark the order paid when the money arrives.",
)


@hookimpl
def payment_gateways(settings):
    settings = settings or ManualPaymentSettings()
    bank = {"account_holder": settings.account_holder, "bank_name": settings.bank_name, "iban": settings.iban,
            "bic": settings.bic}
    return [ManualGateway(settings.title, settings.instructions, bank)]
