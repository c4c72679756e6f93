from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz

ID = "2026-12-06T17:07:34:246359"
VERSION = "1.38.0"
DESCRIPTION = "Index orders.placed_at (reports, dashboard)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="orders", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Order",
        tablename="orders",
        column_name="placed_at",
        db_column_name="placed_at",
        params={"index": True},
        old_params={"index": False},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    return manager
