"""Scoring an order as it is placed (the ``orders_placing`` hook, inside the
order's transaction): gather the :class:`~shopwright_risk.rules.Signals`,
run the rules, ask the stored model, write the assessment, and hold the
order for review when the score reaches the threshold.

Fast and without network: two queries on the plugin's own table (the
velocity and history counts through its indexes; the average of the latest
:data:`AVERAGE_OVER` orders), one for failed payments
(``sdk.failed_payments``), one for the newest model's id, and the model's
prediction in pure Python from the newest stored model (cached per process
by id).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from typing import Any

from engine import sdk

from shopwright_risk import model, rules
from shopwright_risk.tables import RiskAssessment, RiskModel

NAME = "risk"
HOLD_CODE = "risk"
#: the shop's average order value is that of the latest this many scored orders
AVERAGE_OVER = 1000

_models: dict[int, dict[str, Any]] = {}


@dataclass(frozen=True)
class Assessment:
    score: int
    rule_score: int
    model_score: int | None
    reasons: list[str]
    features: dict[str, Any]
    held: bool


@lru_cache(maxsize=1)
def shipped_disposable_domains() -> frozenset[str]:
    """The disposable e-mail domains the plugin ships (its data file)."""
    text = files("shopwright_risk").joinpath("data/disposable_domains.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def disposable_domains(settings: Any) -> frozenset[str]:
    extra = settings.extra_disposable_domains.replace(",", " ").lower().split()
    return shipped_disposable_domains() | frozenset(extra)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest() if text else ""


def payer_identity(address: Any) -> str:
    """The billing identity the payer velocity rule counts by: name, postal
    code and country, normalised (the payment contract exposes no card
    fingerprint)."""
    parts = [str(address.get(key) or "").strip().lower() for key in ("first_name", "last_name", "postal_code",
                                                                      "country")]
    return "|".join(parts) if any(parts) else ""


async def gather(runtime: Any, settings: Any, order: Any, client_ip: str) -> tuple[rules.Signals, dict[str, str]]:
    """The order's signals, and the keys its assessment is stored under."""
    email = order.email.strip().lower()
    domain = email.rpartition("@")[2]
    billing = dict(order.billing_address or order.shipping_address)
    keys = {"email": email, "ip_hash": digest(client_ip), "payer_hash": digest(payer_identity(billing))}
    since = order.placed_at - timedelta(hours=settings.velocity_window_hours)
    # one indexed query for every count ("-" never matches a digest: no address, no payer)
    ip, payer = keys["ip_hash"] or "-", keys["payer_hash"] or "-"
    counts = (await RiskAssessment.raw(
        "SELECT SUM(CASE WHEN email = {} AND created_at >= {} THEN 1 ELSE 0 END) AS by_email, "
        "SUM(CASE WHEN ip_hash = {} AND created_at >= {} THEN 1 ELSE 0 END) AS by_ip, "
        "SUM(CASE WHEN payer_hash = {} AND created_at >= {} THEN 1 ELSE 0 END) AS by_payer, "
        "SUM(CASE WHEN email = {} THEN 1 ELSE 0 END) AS earlier "
        "FROM risk_assessments WHERE email = {} OR ip_hash = {} OR payer_hash = {}",
        email, since, ip, since, payer, since, email, email, ip, payer))[0]
    history = (await RiskAssessment.raw(
        "SELECT COUNT(*) AS n, AVG(total) AS average FROM (SELECT total FROM risk_assessments "
        f"ORDER BY id DESC LIMIT {AVERAGE_OVER}) AS recent"))[0]
    scored, average = int(history["n"] or 0), history["average"]
    signals = rules.Signals(
        email_domain=domain,
        orders_by_email=int(counts["by_email"] or 0),
        orders_by_ip=int(counts["by_ip"] or 0),
        orders_by_payer=int(counts["by_payer"] or 0),
        billing_country=str(billing.get("country") or "").upper(),
        shipping_country=str(order.shipping_address.get("country") or "").upper(),
        total=order.total.amount,
        average_total=int(Decimal(str(average))) if average is not None and scored >= settings.min_history else None,
        earlier_orders=int(counts["earlier"] or 0),
        failed_payments=await sdk.failed_payments(runtime, email, since=since),
        disposable_email=domain in disposable_domains(settings),
        line_count=len(order.lines),
        units=sum(line.quantity for line in order.lines),
        has_ip=bool(client_ip),
    )
    return signals, keys


def features(signals: rules.Signals, hits: list[rules.Hit]) -> dict[str, Any]:
    """The model's features of an order (see :data:`shopwright_risk.model.FEATURES`)."""
    fired = {hit.rule for hit in hits}
    ratio = signals.total / signals.average_total if signals.average_total else 1.0
    return {
        "log_total": round(math.log1p(max(signals.total, 0)), 6), "total_ratio": round(ratio, 6),
        "orders_by_email": signals.orders_by_email, "orders_by_ip": signals.orders_by_ip,
        "orders_by_payer": signals.orders_by_payer,
        "country_mismatch": int(bool(signals.billing_country and signals.shipping_country
                                     and signals.billing_country != signals.shipping_country)),
        "first_order": int(signals.earlier_orders == 0), "failed_payments": signals.failed_payments,
        "disposable_email": int(signals.disposable_email), "line_count": signals.line_count, "units": signals.units,
        **{f"hit_{name}": int(name in fired) for name in rules.RULES},
    }


async def current_model() -> dict[str, Any] | None:
    """The newest stored model (exported trees), cached per process by id."""
    newest = await RiskModel.select(RiskModel.id).order_by(RiskModel.id, ascending=False).first()
    if newest is None:
        return None
    cached = _models.get(newest["id"])
    if cached is None:
        row = await RiskModel.select(RiskModel.trees).where(RiskModel.id == newest["id"]).first()
        cached = json.loads(row["trees"])
        _models.clear()
        _models[newest["id"]] = cached
    return cached


def decide(signals: rules.Signals, settings: Any, exported: dict[str, Any] | None) -> Assessment:
    """The score (0–100) and reasons of ``signals``: the rules combined, and
    the model's estimate when one is given; the higher counts."""
    hits = rules.evaluate(signals, settings)
    weights = settings.weights()
    rule_score = rules.combine([weights[hit.rule] for hit in hits])
    found = features(signals, hits)
    reasons = [hit.reason for hit in hits]
    model_score = None
    if exported is not None:
        try:
            probability = model.predict(exported, found)
        except (KeyError, IndexError, TypeError, ValueError) as exc:  # a broken stored model must not stop a sale
            reasons.append(f"The learnt model could not score this order ({type(exc).__name__}): rules only.")
        else:
            model_score = int(Decimal(str(probability * 100)).quantize(Decimal(1), "ROUND_HALF_UP"))
            reasons.append(f"Learnt model: {model_score}/100 likely fraudulent.")
    score = max(rule_score, model_score or 0)
    return Assessment(score, rule_score, model_score, reasons, found, score >= settings.threshold)


async def screen(runtime: Any, settings: Any, order: Any, client_ip: str) -> Assessment:
    """Score ``order`` (an ``OrderSnapshot``), store the assessment and hold
    the order when the score reaches the threshold. Inside the order's
    transaction: everything commits with the order or not at all."""
    signals, keys = await gather(runtime, settings, order, client_ip)
    try:
        exported = await current_model() if settings.model_enabled else None
    except ValueError:  # a stored model that is not JSON: the rules still score the order
        exported = {}
    assessment = decide(signals, settings, exported)
    await RiskAssessment.insert(RiskAssessment(
        order_id=order.id, number=order.number, total=order.total.amount, rule_score=assessment.rule_score,
        model_score=assessment.model_score, score=assessment.score, reasons=json.dumps(assessment.reasons),
        features=json.dumps(assessment.features), held=assessment.held, created_at=order.placed_at, **keys))
    if assessment.held:
        await sdk.hold_order(runtime, order, plugin=NAME, code=HOLD_CODE, score=assessment.score,
                             reasons=assessment.reasons or ["Score above the review threshold."])
    return assessment
