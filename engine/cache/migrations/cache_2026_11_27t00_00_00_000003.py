"""Triggers for the ``promotions`` scope: promotions and voucher usage.

The priced cart is reused while nothing it was priced from has changed (see
:mod:`engine.storefront.cart_cache`); promotions, their usage counts and
each customer's voucher usage are among its inputs. The triggers are made as
in ``change counter triggers`` (the functions it created are reused on
PostgreSQL).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T00:00:00:000003"
VERSION = "1.38.0"
DESCRIPTION = "promotions change counter"

SLOTS = 32
SCOPE = "promotions"
TABLES = ("promotions", "voucher_usages")


def sqlite_statements() -> list[str]:
    statements = [f"INSERT INTO cache_generations (scope, slot, value) VALUES ('{SCOPE}', 0, 0)"]
    for table in TABLES:
        for operation in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER cache_bump_{table}_{operation.lower()} AFTER {operation} ON {table} BEGIN "
                f"UPDATE cache_generations SET value = value + 1 WHERE scope = '{SCOPE}'; END")
    return statements


def postgres_statements() -> list[str]:
    statements = [f"INSERT INTO cache_generations (scope, slot, value) "
                  f"SELECT '{SCOPE}', s, 0 FROM generate_series(0, {SLOTS - 1}) s"]
    for table in TABLES:
        statements.append(
            f"CREATE CONSTRAINT TRIGGER cache_bump_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_bump_row('{SCOPE}')")
        statements.append(
            f"CREATE TRIGGER cache_bump_{table}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION cache_bump_row('{SCOPE}')")
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cache", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in sqlite_statements() if engine.engine_type == "sqlite" else postgres_statements():
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
