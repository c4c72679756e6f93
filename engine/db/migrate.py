"""Run Piccolo migrations for the core apps and enabled plugins, in dependency order."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration

from engine.db import Database
from engine.db.apps import load_app_config


def _ordered(app_modules: list[str]) -> list[str]:
    """Topological order over ``migration_dependencies`` (stable otherwise)."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(module_path: str) -> None:
        if module_path in ordered:
            return
        if module_path in visiting:
            raise RuntimeError(f"migration dependency cycle at {module_path}")
        visiting.add(module_path)
        for dependency in load_app_config(module_path).migration_dependencies:
            visit(dependency)
        visiting.discard(module_path)
        ordered.append(module_path)

    for module_path in app_modules:
        visit(module_path)
    return ordered


def _migration_modules(app_name: str, folder: Path) -> dict[str, object]:
    modules = {}
    for path in sorted(folder.glob("*.py")):
        if path.name == "__init__.py":
            continue
        module_name = f"_shopwright_migrations.{app_name}.{path.stem}"
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        migration_id = getattr(module, "ID", None)
        if migration_id:
            modules[migration_id] = module
    return modules


async def pending_migrations(database: Database, app_modules: list[str]) -> list[tuple[str, str]]:
    """(app name, migration id) pairs not yet applied."""
    database.bind([])
    await Migration.create_table(if_not_exists=True).run()
    pending = []
    for module_path in _ordered(app_modules):
        config = load_app_config(module_path)
        ran = set(await Migration.get_migrations_which_ran(app_name=config.app_name))
        folder = Path(config.resolved_migrations_folder_path)
        for migration_id in sorted(_migration_modules(config.app_name, folder)):
            if migration_id not in ran:
                pending.append((config.app_name, migration_id))
    return pending


async def migrate(database: Database, app_modules: list[str], echo=print) -> list[tuple[str, str]]:
    """Apply every pending migration; returns what was applied. Each migration runs
    in its own transaction and is recorded in Piccolo's ``migration`` table. A
    ``fake`` migration (``MigrationManager(fake=True)``: one that corrects only
    Piccolo's record of the schema) is recorded without running, as Piccolo's
    ``migrations forwards`` does."""
    database.bind([])
    await Migration.create_table(if_not_exists=True).run()
    applied = []
    for module_path in _ordered(app_modules):
        config = load_app_config(module_path)
        ran = set(await Migration.get_migrations_which_ran(app_name=config.app_name))
        modules = _migration_modules(config.app_name, Path(config.resolved_migrations_folder_path))
        for migration_id in sorted(modules):
            if migration_id in ran:
                continue
            manager = await modules[migration_id].forwards()
            fake = isinstance(manager, MigrationManager) and manager.fake
            if isinstance(manager, MigrationManager) and not fake:
                await manager.run()
            await Migration.insert(Migration(name=migration_id, app_name=config.app_name)).run()
            applied.append((config.app_name, migration_id))
            echo(f"applied {config.app_name} {migration_id}" + (" (record only)" if fake else ""))
    return applied


def widen_to_bigint(migration_id: str, app_name: str, tables: dict[str, tuple[str, list[str]]]) -> MigrationManager:
    """A migration that widens integer columns to ``BigInt`` (64-bit money):
    ``tables`` maps a table class name to its table name and the columns.

    PostgreSQL changes the columns' type in place, keeping the data. SQLite's
    integers are 64-bit already and its columns cannot change type, so there the
    migration only brings Piccolo's record of the schema up to date (``fake``).
    Released migrations call this: keep what it does unchanged.
    """
    from piccolo.columns.column_types import BigInt, Integer
    from piccolo.engine import engine_finder

    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description="64-bit money columns",
                               fake=engine_finder().engine_type == "sqlite")
    for class_name, (tablename, columns) in tables.items():
        for column in columns:
            manager.alter_column(table_class_name=class_name, tablename=tablename, column_name=column,
                                 db_column_name=column, params={}, old_params={}, column_class=BigInt,
                                 old_column_class=Integer, schema=None)
    return manager
