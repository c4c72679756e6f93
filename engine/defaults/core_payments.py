"""Core manual payment: bank transfer / cash on delivery, marked paid by staff.

Configure: ``shopwright plugins configure core_payments title="Bank transfer"
instructions="Transfer {total} to IBAN ... quoting order {number}."``
"""
from __future__ import annotations

from pydantic import BaseModel

from engine import PluginManifest, hookimpl
from engine.payments.manual import ManualGateway


class ManualPaymentSettings(BaseModel):
    title: str = "Bank transfer or cash on delivery"
    #: Shown after checkout and in the confirmation e-mail; {number}, {total}, {email} are filled in.
    instructions: str = ("Please pay {total} by bank transfer quoting order {number}, or in cash on delivery. "
                         "We ship once the payment has arrived.")


MANIFEST = PluginManifest(
    name="core_payments", title="Manual payment", version="0.1.0", core=True, settings=ManualPaymentSettings,
    description="Bank transfer or cash on delivery; staff mark the order paid when the money arrives.",
)


@hookimpl
def payment_gateways(settings):
    settings = settings or ManualPaymentSettings()
    return [ManualGateway(settings.title, settings.instructions)]
