from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from engine.cache.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="cache",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["engine.system.piccolo_app", "engine.catalog.piccolo_app", "engine.pricing.piccolo_app"],
    commands=[],
)
