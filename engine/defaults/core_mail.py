"""Core transactional e-mail: order confirmation, payment received, shipped,
cancelled and refunded, sent over SMTP (the ``[mail]`` settings) from the
job worker when the order's outbox event is delivered. Templates can be
overridden by a theme (see :mod:`engine.notifications.mailer`)."""
from __future__ import annotations

from engine import PluginManifest, hookimpl
from engine.orders import emails as orders

MANIFEST = PluginManifest(
    name="core_mail", title="Order e-mails", version="0.1.0", core=True,
    description="Order confirmation, payment, shipping, cancellation and refund e-mails.",
)


@hookimpl
async def jobs_handle_event(event, runtime):
    await orders.handle(runtime, event)
