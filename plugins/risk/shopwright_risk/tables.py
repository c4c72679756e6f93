"""The plugin's own tables.

:class:`RiskAssessment` — one row per scored order, written in the order's
placement transaction (:mod:`shopwright_risk.screening`): the keys the
velocity rules count by (the e-mail in lower case; the client address and the
payer identity as SHA-256 digests, never in clear), the scores, the reasons,
the model's features as they were at placement, and later the ``label``
(1 fraudulent, 0 genuine) that staff's decisions give it
(:mod:`shopwright_risk.labels`).

:class:`RiskModel` — the trained models (:mod:`shopwright_risk.training`):
the newest row is the one used; ``trees`` is the exported ensemble (JSON,
see :mod:`shopwright_risk.model`), so the request path needs neither
scikit-learn nor unpickling.
"""
from __future__ import annotations

from piccolo.columns import BigInt, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class RiskAssessment(Table, tablename="risk_assessments"):
    id = Serial(primary_key=True)
    order_id = Integer(unique=True, index=True)
    number = Varchar(length=32, default="")
    email = Varchar(length=320, index=True)
    ip_hash = Varchar(length=64, default="", index=True)
    payer_hash = Varchar(length=64, default="", index=True)
    total = BigInt(default=0)
    rule_score = Integer(default=0)
    model_score = Integer(null=True, default=None)
    score = Integer(default=0)
    reasons = Text(default="[]")
    features = Text(default="{}")
    held = Boolean(default=False)
    label = Integer(null=True, default=None, index=True)
    created_at = Timestamptz(index=True)


class RiskModel(Table, tablename="risk_models"):
    id = Serial(primary_key=True)
    trees = Text(default="{}")
    samples = Integer(default=0)
    positives = Integer(default=0)
    trained_at = Timestamptz()
