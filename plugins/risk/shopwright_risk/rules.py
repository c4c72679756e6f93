"""The rules: each a small pure function of an order's :class:`Signals`
and the plugin's settings, answering a :class:`Hit` (the rule fired, with a
reason staff can read) or None.

:data:`RULES` names every rule with its default weight; :func:`evaluate`
runs the enabled ones and :func:`combine` turns their weights into one score.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

#: rule name → default weight (points, 0–100)
RULES: dict[str, int] = {
    "email_velocity": 40,
    "ip_velocity": 40,
    "payer_velocity": 40,
    "country_mismatch": 25,
    "large_first_order": 35,
    "failed_payments": 45,
    "disposable_email": 50,
}


@dataclass(frozen=True)
class Signals:
    """What the rules (and the model) know of an order at placement.

    Counts are of *earlier* orders within the velocity window: with the same
    e-mail, the same client address (``ip``), the same payer (the billing
    identity: name, postal code and country — the payment contract exposes
    no card fingerprint). ``total`` and ``average_total`` are minor units
    (``average_total`` None until enough orders were scored);
    ``earlier_orders`` counts every earlier order of the e-mail.
    """

    email_domain: str
    orders_by_email: int
    orders_by_ip: int
    orders_by_payer: int
    billing_country: str
    shipping_country: str
    total: int
    average_total: int | None
    earlier_orders: int
    failed_payments: int
    disposable_email: bool
    line_count: int = 1
    units: int = 1
    has_ip: bool = True


@dataclass(frozen=True)
class Hit:
    rule: str
    reason: str


def _hours(settings: Any) -> str:
    hours = settings.velocity_window_hours
    return f"{hours} hours" if hours != 1 else "hour"


def email_velocity(s: Signals, settings: Any) -> Hit | None:
    if s.orders_by_email >= settings.velocity_limit:
        return Hit("email_velocity", f"{s.orders_by_email} earlier orders from this e-mail in the last {_hours(settings)}.")
    return None


def ip_velocity(s: Signals, settings: Any) -> Hit | None:
    if s.has_ip and s.orders_by_ip >= settings.velocity_limit:
        return Hit("ip_velocity", f"{s.orders_by_ip} earlier orders from this network address in the last "
                                  f"{_hours(settings)}.")
    return None


def payer_velocity(s: Signals, settings: Any) -> Hit | None:
    if s.orders_by_payer >= settings.velocity_limit:
        return Hit("payer_velocity", f"{s.orders_by_payer} earlier orders with this billing name and address in the "
                                     f"last {_hours(settings)}.")
    return None


def country_mismatch(s: Signals, settings: Any) -> Hit | None:
    if s.billing_country and s.shipping_country and s.billing_country != s.shipping_country:
        return Hit("country_mismatch", f"Billing country {s.billing_country} differs from shipping country "
                                       f"{s.shipping_country}.")
    return None


def large_first_order(s: Signals, settings: Any) -> Hit | None:
    if s.earlier_orders or not s.average_total:
        return None
    ratio = Decimal(s.total) / Decimal(s.average_total)
    if ratio >= settings.large_order_factor:
        return Hit("large_first_order", f"First order from this e-mail, {ratio.quantize(Decimal('0.1'))}× the shop's "
                                        "average order value.")
    return None


def failed_payments(s: Signals, settings: Any) -> Hit | None:
    if s.failed_payments >= settings.failed_payments_limit:
        return Hit("failed_payments", f"{s.failed_payments} refused payments for this e-mail in the last "
                                      f"{_hours(settings)}.")
    return None


def disposable_email(s: Signals, settings: Any) -> Hit | None:
    if s.disposable_email:
        return Hit("disposable_email", f"Disposable e-mail domain {s.email_domain}.")
    return None


CHECKS: dict[str, Callable[[Signals, Any], Hit | None]] = {
    "email_velocity": email_velocity, "ip_velocity": ip_velocity, "payer_velocity": payer_velocity,
    "country_mismatch": country_mismatch, "large_first_order": large_first_order,
    "failed_payments": failed_payments, "disposable_email": disposable_email,
}


def evaluate(signals: Signals, settings: Any) -> list[Hit]:
    """The enabled rules (weight above 0) that fire, in :data:`RULES` order."""
    weights = settings.weights()
    return [hit for name, check in CHECKS.items() if weights[name] and (hit := check(signals, settings))]


def combine(points: list[int]) -> int:
    """Weights of independent pieces of evidence as one score, 0–100:
    ``100 × (1 − Π(1 − wᵢ/100))``, rounded half up. One rule of weight w
    scores w; more rules raise the score towards 100, never past it."""
    clear = Decimal(1)
    for weight in points:
        clear *= 1 - Decimal(weight) / 100
    return int(((1 - clear) * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
