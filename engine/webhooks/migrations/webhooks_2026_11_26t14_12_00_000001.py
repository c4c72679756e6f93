"""Composite indexes of the webhook tables.

- one delivery per (subscription, event): the idempotency of event handling;
- the sweep's scan of due deliveries and an ordered subscription's head lookup;
- the pruning of old deliveries and seen-event marks.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T14:12:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "webhook indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX webhook_deliveries_subscription_event ON webhook_deliveries (subscription, event_id)",
    "CREATE INDEX webhook_deliveries_status_due ON webhook_deliveries (status, next_attempt_at)",
    "CREATE INDEX webhook_deliveries_subscription_status ON webhook_deliveries (subscription, status, event_id)",
    "CREATE INDEX webhook_deliveries_subscription_id ON webhook_deliveries (subscription, id)",
    "CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at)",
    "CREATE INDEX webhook_seen_events_seen ON webhook_seen_events (seen_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="webhooks", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
