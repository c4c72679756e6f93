"""64-bit money columns: amounts above 2^31 - 1 minor units (€21,474,836.47).

PostgreSQL widens ``integer`` to ``bigint`` in place, keeping the data. SQLite
integers are 64-bit already (and SQLite cannot alter a column's type), so there
the migration only brings Piccolo's record of the schema up to date (``fake``).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Integer
from piccolo.engine import engine_finder

ID = "2026-12-06T15:52:49:043087"
VERSION = "1.38.0"
DESCRIPTION = "64-bit money columns"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="pricing", description=DESCRIPTION,
        fake=engine_finder().engine_type == "sqlite",
    )

    manager.alter_column(
        table_class_name="Promotion",
        tablename="promotions",
        column_name="min_subtotal",
        db_column_name="min_subtotal",
        params={},
        old_params={},
        column_class=BigInt,
        old_column_class=Integer,
        schema=None,
    )

    return manager
