"""``shopwright recommendations train|evaluate`` (the plugin's ``cli_commands``),
run in the ``shopwright`` process itself (``sdk.run_command``)."""
from __future__ import annotations

from typing import Any

import click

from engine import sdk

from shopwright_recommendations import evaluate as evaluation
from shopwright_recommendations import training


@click.group("recommendations")
def recommendations() -> None:
    """Product recommendations (the recommendations plugin)."""


@recommendations.command("train")
def train() -> None:
    """Train now and store the lists (the worker's cron job does the same)."""

    async def main(runtime: Any) -> dict[str, int]:
        return await training.train(runtime, sdk.plugin_settings(runtime, training.NAME))

    counts = sdk.run_command(main)
    click.echo(f"trained on {counts['orders']} paid orders, {counts['products']} products")


@recommendations.command("evaluate")
@click.option("--holdout", type=click.FloatRange(0.01, 0.9), default=0.2, show_default=True,
              help="Share of the most recent paid orders held out.")
@click.option("-k", "k", type=click.IntRange(1, 50), default=10, show_default=True, help="List length scored.")
def evaluate(holdout: float, k: int) -> None:
    """Hit-rate@k and coverage on the last orders, against best sellers."""

    async def main(runtime: Any) -> evaluation.Evaluation:
        return await evaluation.evaluate(runtime, sdk.plugin_settings(runtime, training.NAME), holdout=holdout, k=k)

    for line in sdk.run_command(main).lines(k):
        click.echo(line)
