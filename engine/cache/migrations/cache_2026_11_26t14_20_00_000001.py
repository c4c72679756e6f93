from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T14:20:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "change counters"


def _params(**extra):
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cache", description=DESCRIPTION)
    manager.add_table(class_name="CacheGeneration", tablename="cache_generations", schema=None, columns=None)
    columns = [
        ("id", "Serial", Serial, _params(primary_key=True)),
        ("scope", "Varchar", Varchar, _params(length=50, default="")),
        ("slot", "Integer", Integer, _params(default=0)),
        ("value", "BigInt", BigInt, _params(default=0)),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="CacheGeneration",
            tablename="cache_generations",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
