"""``shopwright risk train|status`` (the plugin's ``cli_commands``), run in the
``shopwright`` process itself (``sdk.run_command``)."""
from __future__ import annotations

from typing import Any

import click

from engine import sdk

from shopwright_risk import training
from shopwright_risk.tables import RiskAssessment, RiskModel


@click.group("risk")
def risk() -> None:
    """Order risk scoring (the risk plugin)."""


@risk.command("train")
def train() -> None:
    """Train the model now from the labelled orders (the worker's cron job does the same)."""

    async def main(runtime: Any) -> dict[str, Any]:
        return await training.train(runtime, sdk.plugin_settings(runtime, training.NAME))

    result = sdk.run_command(main)
    if result["trained"]:
        click.echo(f"trained on {result['labelled']} labelled orders ({result['fraudulent']} fraudulent)")
    else:
        click.echo(f"not trained: {result['labelled']} labelled orders ({result['fraudulent']} fraudulent); "
                   f"needs min_labelled, with {training.MIN_PER_CLASS} of each kind")


@risk.command("status")
def status() -> None:
    """How many orders were scored, held and labelled, and the model in use."""

    async def main(runtime: Any) -> list[str]:
        scored = await RiskAssessment.count()
        held = await RiskAssessment.count().where(RiskAssessment.held.eq(True))
        fraud = await RiskAssessment.count().where(RiskAssessment.label == 1)
        genuine = await RiskAssessment.count().where(RiskAssessment.label == 0)
        model = await RiskModel.select().order_by(RiskModel.id, ascending=False).first()
        lines = [f"scored {scored} orders, held {held}; labelled {fraud} fraudulent, {genuine} genuine"]
        if model is None:
            lines.append("model: none yet (rules only)")
        else:
            lines.append(f"model: trained {str(model['trained_at'])[:16]} UTC on {model['samples']} orders "
                         f"({model['positives']} fraudulent)")
        return lines

    for line in sdk.run_command(main):
        click.echo(line)
