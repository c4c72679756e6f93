from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from sample_plugin.tables import SampleNote

APP_CONFIG = AppConfig(
    app_name="sample_plugin",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[SampleNote],
    migration_dependencies=["engine.system.piccolo_app"],
    commands=[],
)
