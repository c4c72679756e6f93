"""A synthetic labelled set: orders whose signals are drawn at random, with
fraud planted — fraudulent orders tend to be larger than the shop's average,
first orders, from disposable domains, to another country than billed, from
busy addresses and after refused payments — with enough overlap that no
single rule separates them. Seeded, so every run draws the same set."""
from __future__ import annotations

import random

from shopwright_risk import rules, screening
from shopwright_risk.settings import RiskSettings

AVERAGE = 6000


def draw(rng: random.Random, fraud: bool) -> rules.Signals:
    def chance(p_fraud: float, p_genuine: float) -> bool:
        return rng.random() < (p_fraud if fraud else p_genuine)

    ratio = rng.lognormvariate(1.0 if fraud else 0.0, 0.6)
    busy = chance(0.35, 0.05)
    return rules.Signals(
        email_domain="yopmail.com" if chance(0.3, 0.03) else "example.test",
        orders_by_email=rng.randint(0, 4) if busy else rng.randint(0, 1),
        orders_by_ip=rng.randint(2, 8) if busy else rng.randint(0, 1),
        orders_by_payer=rng.randint(0, 3) if busy else 0,
        billing_country="FR" if chance(0.45, 0.1) else "DE", shipping_country="DE",
        total=max(100, int(AVERAGE * ratio)), average_total=AVERAGE,
        earlier_orders=0 if chance(0.85, 0.4) else rng.randint(1, 6),
        failed_payments=rng.randint(1, 4) if chance(0.3, 0.04) else 0,
        disposable_email=False, line_count=rng.randint(1, 4), units=rng.randint(1, 6))


def labelled_set(size: int, fraud_share: float, seed: int) -> list[tuple[dict, int]]:
    """``size`` (features, label) pairs, about ``fraud_share`` of them fraud."""
    rng = random.Random(seed)
    settings = RiskSettings()
    out = []
    for _ in range(size):
        fraud = rng.random() < fraud_share
        signals = draw(rng, fraud)
        signals = signals.__class__(**{**signals.__dict__, "disposable_email": signals.email_domain == "yopmail.com"})
        out.append((screening.features(signals, rules.evaluate(signals, settings)), int(fraud)))
    return out


def rule_scores(pairs: list[tuple[dict, int]]) -> list[int]:
    """The rules-only score of each synthetic order (for comparison)."""
    weights = RiskSettings().weights()
    return [rules.combine([weights[name] for name in rules.RULES if features[f"hit_{name}"]])
            for features, _ in pairs]
