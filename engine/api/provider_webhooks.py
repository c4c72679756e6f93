"""Incoming provider webhooks: ``POST /webhooks/<plugin-name>``.

The raw body and headers go to :mod:`engine.payments.webhook_events`, which
verifies them through the plugin's gateways and applies the outcome once.
Answers: 200 ``{"status": "applied"|"duplicate"|"ignored", ...}``; 400 when no
gateway verifies the signature; 404 for a plugin that takes no webhooks.
"""
from __future__ import annotations

from quart import Blueprint, current_app, request

from engine.payments import webhook_events

blueprint = Blueprint("payment_webhooks", __name__, url_prefix="/webhooks")


@blueprint.post("/<plugin>")
async def receive(plugin: str):
    """A provider's webhook for the payment plugin ``plugin``."""
    runtime = current_app.runtime
    body = await request.get_data()
    headers = {key: value for key, value in request.headers.items()}
    outcome = await webhook_events.verify(runtime, plugin, body, headers)
    return await webhook_events.apply(runtime, plugin, outcome)
