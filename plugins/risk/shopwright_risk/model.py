"""The learnt model: gradient boosting (scikit-learn) trained in the worker,
exported as plain JSON trees, predicted in pure Python on the request path.

Training (:func:`train`) fits a ``GradientBoostingClassifier`` with
``init="zero"``, so its decision function is exactly ``learning_rate × Σ``
of its trees' leaf values; :func:`export` writes each tree's arrays
(children, split feature, threshold, leaf value) to JSON. :func:`predict`
walks those trees: no scikit-learn import (two seconds) and no unpickling on
the request path. :data:`FEATURES` fixes the order of a feature vector; a
stored model names the features it was trained on.
"""
from __future__ import annotations

import math
import struct
from typing import Any, Mapping, Sequence

FEATURES = (
    "log_total", "total_ratio", "orders_by_email", "orders_by_ip", "orders_by_payer", "country_mismatch",
    "first_order", "failed_payments", "disposable_email", "line_count", "units",
    "hit_email_velocity", "hit_ip_velocity", "hit_payer_velocity", "hit_country_mismatch",
    "hit_large_first_order", "hit_failed_payments", "hit_disposable_email",
)

#: how many times the model was fitted in this process (tests count it)
FITS = 0


def vector(features: Mapping[str, Any], names: Sequence[str] = FEATURES) -> list[float]:
    """The features in ``names`` order (a missing one is 0), as the 32-bit
    floats scikit-learn's trees compare."""
    return [_float32(float(features.get(name, 0) or 0)) for name in names]


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def train(rows: Sequence[Mapping[str, Any]], labels: Sequence[int], seed: int = 7) -> Any:
    """A fitted classifier of ``rows`` (feature mappings) against ``labels``
    (1 fraudulent, 0 genuine). Runs in the worker only."""
    global FITS
    from sklearn.ensemble import GradientBoostingClassifier

    classifier = GradientBoostingClassifier(init="zero", n_estimators=120, learning_rate=0.1, max_depth=3,
                                            subsample=0.9, random_state=seed)
    classifier.fit([vector(row) for row in rows], list(labels))
    FITS += 1
    return classifier


def export(classifier: Any) -> dict[str, Any]:
    """The fitted classifier as JSON-ready trees (see the module docstring)."""
    trees = []
    for (estimator,) in classifier.estimators_:
        tree = estimator.tree_
        trees.append({"left": tree.children_left.tolist(), "right": tree.children_right.tolist(),
                      "feature": tree.feature.tolist(), "threshold": tree.threshold.tolist(),
                      "value": [float(v) for v in tree.value[:, 0, 0]]})
    return {"features": list(FEATURES), "learning_rate": float(classifier.learning_rate), "trees": trees}


def predict(exported: Mapping[str, Any], features: Mapping[str, Any]) -> float:
    """The probability (0–1) that an order with ``features`` is fraudulent,
    by the exported model."""
    x = vector(features, exported["features"])
    raw = 0.0
    for tree in exported["trees"]:
        node = 0
        while tree["left"][node] != -1:
            node = tree["left"][node] if x[tree["feature"][node]] <= tree["threshold"][node] else tree["right"][node]
        raw += tree["value"][node]
    raw *= exported["learning_rate"]
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, raw))))
