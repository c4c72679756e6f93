"""The risk plugin: scores every order as it is placed (rules and a learnt
model), holds the risky ones for staff review, learns from staff's
decisions and retrains in the worker. Thin hookimpls only."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.protocols import JobDefinition

from shopwright_risk import labels, screening, training
from shopwright_risk.commands import risk
from shopwright_risk.settings import RiskSettings

MANIFEST = PluginManifest(
    name="risk",
    title="Order risk",
    version="0.1.0",
    engine=">=0.1,<1",
    description="Scores every order for fraud as it is placed and holds risky ones for review before capture or "
                "shipping.",
    settings=RiskSettings,
    piccolo_app="shopwright_risk.piccolo_app",
    events=labels.EVENTS,
)


@hookimpl
async def orders_placing(order, settings, runtime, placement):
    await screening.screen(runtime, settings, order, placement.client_ip)


@hookimpl
async def jobs_handle_event(event, settings, runtime):
    await labels.apply(event)


@hookimpl
def jobs_register(settings):
    hours = set(range(0, 24, settings.train_every_hours))
    return [JobDefinition(name="risk.train", func=training.train_job, cron={"hour": hours, "minute": {41}})]


@hookimpl
def cli_commands():
    return [risk]
