from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from engine.system.tables import FormSubmission, OutboxEvent, PluginFailure, PluginState, SiteSetting

APP_CONFIG = AppConfig(
    app_name="system",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[PluginState, SiteSetting, OutboxEvent, PluginFailure, FormSubmission],
    migration_dependencies=[],
    commands=[],
)
