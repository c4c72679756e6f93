"""Piccolo's record of ``cache_generations`` loses the ``id`` column; the table keeps it.

``change counters`` added the primary key ``id`` as an ordinary column, while
the table class (like every other) leaves it implicit, so Piccolo's record of
the schema had one column more than the class, and ``piccolo migrations new
cache --auto`` proposed dropping the primary key. The ``id`` that migration made
is exactly the implicit one (``INTEGER PRIMARY KEY NOT NULL`` on SQLite,
``SERIAL PRIMARY KEY NOT NULL`` on PostgreSQL), so the database is already
right: this migration is ``fake`` — it corrects the record (the operation below,
as Piccolo generated it) and runs no SQL. ``shopwright migrate`` and Piccolo's
``migrations forwards`` only record it as applied.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T12:32:01:482987"
VERSION = "1.38.0"
DESCRIPTION = "implicit primary key of cache_generations (record only)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cache", description=DESCRIPTION, fake=True)

    manager.drop_column(
        table_class_name="CacheGeneration",
        tablename="cache_generations",
        column_name="id",
        db_column_name="id",
        schema=None,
    )

    return manager
