from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from sdk_fixture.tables import FixturePoints, FixtureSeen

APP_CONFIG = AppConfig(
    app_name="sdk_fixture",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[FixturePoints, FixtureSeen],
    migration_dependencies=["engine.system.piccolo_app"],
    commands=[],
)
