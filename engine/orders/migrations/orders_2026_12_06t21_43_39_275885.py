from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T21:43:39:275885"
VERSION = "1.38.0"
DESCRIPTION = "orders: the chosen shipping method's delivery estimate (business days)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="orders", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="shipping_days_max",
        db_column_name="shipping_days_max",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="shipping_days_min",
        db_column_name="shipping_days_min",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
