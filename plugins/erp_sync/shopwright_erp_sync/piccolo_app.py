"""The plugin's Piccolo app: its tables and migrations."""
from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from shopwright_erp_sync.tables import ErpDeadLetter, ErpLink, ErpState

APP_CONFIG = AppConfig(
    app_name="erp_sync",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ErpState, ErpLink, ErpDeadLetter],
    migration_dependencies=["engine.system.piccolo_app"],
    commands=[],
)
