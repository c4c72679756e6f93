"""The training job (``risk.train``, cron in the worker): read the labelled
assessments, fit the model when there are enough of both kinds, store it
exported as a new :class:`~shopwright_risk.tables.RiskModel` row (older rows
removed in the same transaction). Idempotent: running it again stores an
equal model (a fixed random seed)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from engine import sdk

from shopwright_risk import model
from shopwright_risk.tables import RiskAssessment, RiskModel

NAME = "risk"
#: fewest orders of each label (fraudulent, genuine) to train on
MIN_PER_CLASS = 5


async def labelled() -> tuple[list[dict[str, Any]], list[int]]:
    rows = await RiskAssessment.select(RiskAssessment.features, RiskAssessment.label).where(
        RiskAssessment.label.is_not_null()).order_by(RiskAssessment.id)
    return [json.loads(row["features"]) for row in rows], [int(row["label"]) for row in rows]


async def train(runtime: Any, settings: Any) -> dict[str, Any]:
    """Train and store when there is enough data; answers what happened."""
    rows, labels = await labelled()
    positives = sum(labels)
    if len(rows) < settings.min_labelled or min(positives, len(rows) - positives) < MIN_PER_CLASS:
        return {"trained": False, "labelled": len(rows), "fraudulent": positives}
    exported = model.export(model.train(rows, labels))
    async with sdk.transaction(runtime):
        await RiskModel.delete(force=True)
        await RiskModel.insert(RiskModel(trees=json.dumps(exported), samples=len(rows), positives=positives,
                                         trained_at=datetime.now(timezone.utc)))
    return {"trained": True, "labelled": len(rows), "fraudulent": positives}


async def train_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """The ``risk.train`` job (cron, and on demand)."""
    runtime = ctx["runtime"]
    return await train(runtime, sdk.plugin_settings(runtime, NAME))
