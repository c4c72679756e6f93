"""Incoming provider webhooks: ``POST /webhooks/<plugin-name>``.

For a plugin that offers tracking providers (a carrier), the raw body and
headers go to :mod:`engine.fulfillment.tracking`, which verifies them, and
the shipments move (:func:`engine.orders.shipments.apply_tracking`).
Otherwise they go to :mod:`engine.payments.webhook_events`, which
verifies them through the plugin's gateways and applies the outcome once.
Answers: 200 ``{"status": "applied"|"duplicate"|"ignored", ...}``; 400 when no
gateway verifies the signature; 404 for a plugin that takes no webhooks.
"""
from __future__ import annotations

from quart import Blueprint, current_app, request

from engine.fulfillment import tracking
from engine.orders import shipments
from engine.payments import webhook_events

blueprint = Blueprint("payment_webhooks", __name__, url_prefix="/webhooks")


@blueprint.post("/<plugin>")
async def receive(plugin: str):
    """A provider's webhook for the payment or carrier plugin ``plugin``."""
    runtime = current_app.runtime
    body = await request.get_data()
    headers = {key: value for key, value in request.headers.items()}
    carriers = await tracking.providers_of(runtime, plugin)
    if carriers:
        updates = await tracking.verify(runtime, plugin, carriers, body, headers)
        return await shipments.apply_tracking(runtime, plugin, updates)
    outcome = await webhook_events.verify(runtime, plugin, body, headers)
    return await webhook_events.apply(runtime, plugin, outcome)
